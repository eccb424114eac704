// The promises every fault test checks: the live certificate and key are whole and matching, the
// state tells the truth, and nothing archived is lost.
import { X509Certificate } from 'node:crypto';
import { GetCertificateCommand } from '@aws-sdk/client-acm';
import { keyMatchesCertificate, parseCertificate } from '../../lib/core/index.js';
import type { clientsFor } from './aws.js';

type Aws = ReturnType<typeof clientsFor>;

export interface LiveState {
  readonly serial: string;
  readonly pointerPairMatches: boolean;
  readonly copiesMatchPointer: boolean;
  readonly recordState: string | undefined;
  readonly recordSerial: string | undefined;
  readonly indexSerial: string | undefined;
  readonly indexState: string | undefined;
  readonly acmSerial: string | undefined;
  readonly lease: string | undefined;
  readonly archivedSerials: readonly string[];
}

/** Reads what a consumer would read, straight from moto (not through the issuer's code). */
export async function liveState(aws: Aws, name: string): Promise<LiveState> {
  const metadata = JSON.parse((await aws.read(`live/${name}/metadata.json`))!) as { serial: string };
  const cert = (await aws.read(`archive/${name}/${metadata.serial}/cert.pem`))!;
  const key = (await aws.read(`archive/${name}/${metadata.serial}/privkey.pem`))!;
  const liveCert = await aws.read(`live/${name}/cert.pem`);
  const liveKey = await aws.read(`live/${name}/privkey.pem`);
  const [bundle, liveBundle] = await Promise.all([aws.read(`archive/${name}/${metadata.serial}/bundle.json`), aws.read(`live/${name}/bundle.json`)]);
  const recordText = await aws.read(`renewal/${name}.json`);
  const record = recordText === undefined ? undefined : (JSON.parse(recordText) as { state: string; serial?: string; acm: { certificateArn: string }[] });
  const index = JSON.parse((await aws.read('renewal/_index.json')) ?? '{"entries":{}}') as { entries: Record<string, { serial?: string; state: string }> };
  let acmSerial: string | undefined;
  if (record?.acm[0] !== undefined) {
    const inAcm = await aws.acm.send(new GetCertificateCommand({ CertificateArn: record.acm[0].certificateArn }));
    acmSerial = new X509Certificate(inAcm.Certificate!).serialNumber.toLowerCase();
  }
  const archived = (await aws.list(`archive/${name}/`)).filter((k) => k.endsWith('/cert.pem')).map((k) => k.split('/')[2]!);
  return {
    serial: metadata.serial,
    pointerPairMatches: parseCertificate(cert).serial === metadata.serial && keyMatchesCertificate(cert, key),
    copiesMatchPointer: liveCert === cert && liveKey === key && bundle !== undefined && liveBundle === bundle,
    recordState: record?.state,
    recordSerial: record?.serial,
    indexSerial: index.entries[name]?.serial,
    indexState: index.entries[name]?.state,
    acmSerial,
    lease: await aws.read(`locks/${name}.json`),
    archivedSerials: archived,
  };
}

/** A lease left by a killed issuer is harmless once expired; a live one would block the next run. */
export function leaseBlocks(lease: string | undefined, now = new Date()): boolean {
  return lease !== undefined && new Date((JSON.parse(lease) as { expiresAt: string }).expiresAt) > now;
}

/** After recovery everything agrees: pointer, copies, record, index, ACM; no live lease left. */
export function settled(state: LiveState): boolean {
  return (
    state.pointerPairMatches &&
    state.copiesMatchPointer &&
    state.recordState === 'active' &&
    state.recordSerial === state.serial &&
    state.indexSerial === state.serial &&
    state.indexState === 'active' &&
    state.acmSerial === state.serial &&
    !leaseBlocks(state.lease)
  );
}
