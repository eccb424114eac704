/**
 * The items a comma-separated setting names (BENCH_CASES, BENCH_TOOLS), by id; all of them when
 * the setting is empty or unset.
 */
export function selected<T extends { readonly id: string }>(items: readonly T[], setting: string | undefined): T[] {
  const ids = (setting ?? '').split(',').filter((id) => id !== '');
  return ids.length === 0 ? [...items] : items.filter((item) => ids.includes(item.id));
}
