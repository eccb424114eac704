"""moto's ACM, importing a certificate whose subject has no CN, as AWS's ACM does.

Current CAs issue certificates with an empty subject and the names in the SAN extension only
(Let's Encrypt's `tlsserver` and `shortlived` profiles, a current pebble; the CA/Browser Forum's
baseline requirements make the CN optional and discouraged). moto 5.2.1 reads the subject CN in
CertBundle.__init__ (`get_attributes_for_oid(OID_COMMON_NAME)[0]`), so such an import fails with
an IndexError (HTTP 500), where AWS imports it:

- The ACM user guide's import prerequisites ask for "the fully qualified domain name (FQDN) or IP
  address of the website" and information about the issuer, not a CN
  (https://docs.aws.amazon.com/acm/latest/userguide/import-certificate-prerequisites.html), and
  ImportCertificate's guidelines ask for a non-empty Issuer field only
  (https://docs.aws.amazon.com/acm/latest/APIReference/API_ImportCertificate.html). ACM reads
  names from the SAN first and ignores the CN when there is a SAN (RequestCertificate's note on
  RFC 6125, same API reference).
- moto fixed it upstream after 5.2.1 (getmoto/moto#9912, merged 2026-03-24: "Real AWS ACM accepts
  such certificates"; DescribeCertificate's DomainName is the first SAN when there is no CN).

So here, and only for a certificate without a CN (one with a CN takes moto's own path unchanged):
DomainName is the first SAN (DNS name or IP address), Subject is the subject as it is (empty, so
"", not moto's made-up "CN=<name>"), and a certificate with neither a CN nor a SAN is refused
with a ValidationException (it names no website, which the prerequisites require).
"""

from typing import Any

from cryptography import x509
from moto.acm.exceptions import AWSValidationException
from moto.acm.models import CertBundle

_init = CertBundle.__init__
_describe = CertBundle.describe
_NO_CN = "\x00no CN\x00"  # a stand-in no certificate can carry, replaced right after moto's __init__


def _first_san(certificate: x509.Certificate) -> str | None:
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    for name in names:
        if isinstance(name, (x509.DNSName, x509.IPAddress)):
            return str(name.value)
    return None


class _SubjectWithCn:
    """A certificate's subject as moto's __init__ reads it: one stand-in CN when it has none."""

    def __init__(self, subject: x509.Name):
        self._subject = subject

    def get_attributes_for_oid(self, oid: x509.ObjectIdentifier) -> list[Any]:
        found = self._subject.get_attributes_for_oid(oid)
        if found or oid != x509.NameOID.COMMON_NAME:
            return found
        return [x509.NameAttribute(x509.NameOID.COMMON_NAME, _NO_CN)]


class _CertificateWithCn:
    """What validate_certificate hands moto's __init__: the parsed certificate, its subject as above."""

    def __init__(self, certificate: x509.Certificate):
        self._certificate = certificate
        self.subject = _SubjectWithCn(certificate.subject)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._certificate, name)  # validate_chain reads the validity dates


_validate_certificate = CertBundle.validate_certificate


def _validate_certificate_without_cn(self: CertBundle) -> Any:
    certificate = _validate_certificate(self)
    if certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME):
        return certificate
    if _first_san(certificate) is None:
        raise AWSValidationException("The certificate names no domain: it has neither a subject CN nor a DNS or IP address in its subject alternative names.")
    return _CertificateWithCn(certificate)


def _init_without_cn(self: CertBundle, *args: Any, **kwargs: Any) -> None:
    _init(self, *args, **kwargs)
    if isinstance(self._cert, _CertificateWithCn):
        self._cert = self._cert._certificate
        self.common_name = _first_san(self._cert)
        self.subject_without_cn = True


def _describe_without_cn(self: CertBundle) -> dict[str, Any]:
    described = _describe(self)
    if getattr(self, "subject_without_cn", False):
        described["Certificate"]["Subject"] = self._cert.subject.rfc4514_string()
    return described


CertBundle.validate_certificate = _validate_certificate_without_cn
CertBundle.__init__ = _init_without_cn
CertBundle.describe = _describe_without_cn
