#include "e2e/testapi/certs.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <memory>
#include <sstream>

namespace testapi {

namespace {

using PKeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;
using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;

std::string BioString(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, n);
}

std::string KeyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  return BioString(bio.get());
}

std::string CertPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509(bio.get(), cert);
  return BioString(bio.get());
}

PKeyPtr ReadKey(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  return PKeyPtr(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
}

X509Ptr ReadCert(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
}

bool AddExt(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) return false;
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return true;
}

struct Subject {
  std::string cn;
  std::vector<std::string> orgs;
};

// Issues a certificate for a fresh P-256 key; self-signed when ca is null.
std::optional<KeyPair> Issue(const Subject& subject, const KeyPair* ca, const std::vector<std::pair<int, std::string>>& exts,
                             std::string* error) {
  PKeyPtr key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  X509Ptr cert(X509_new(), X509_free);
  if (!key || !cert) {
    *error = "generate key: OpenSSL failed";
    return std::nullopt;
  }
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  for (const auto& o : subject.orgs)
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(o.c_str()), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(subject.cn.c_str()), -1,
                             -1, 0);

  X509Ptr ca_cert(nullptr, X509_free);
  PKeyPtr ca_key(nullptr, EVP_PKEY_free);
  if (ca) {
    ca_cert = ReadCert(ca->cert_pem);
    ca_key = ReadKey(ca->key_pem);
    if (!ca_cert || !ca_key) {
      *error = "read CA: not a PEM certificate and key";
      return std::nullopt;
    }
    X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert.get()));
  } else {
    X509_set_issuer_name(cert.get(), name);
  }
  X509* issuer = ca ? ca_cert.get() : cert.get();
  for (const auto& [nid, value] : exts) {
    if (!AddExt(cert.get(), issuer, nid, value)) {
      *error = "certificate extension " + value + ": OpenSSL refused it";
      return std::nullopt;
    }
  }
  if (!X509_sign(cert.get(), ca ? ca_key.get() : key.get(), EVP_sha256())) {
    *error = "sign certificate: OpenSSL failed";
    return std::nullopt;
  }
  return KeyPair{CertPem(cert.get()), KeyPem(key.get())};
}

std::optional<std::string> ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool WriteFile(const std::filesystem::path& p, const std::string& data) {
  std::ofstream out(p, std::ios::trunc);
  out << data;
  return static_cast<bool>(out);
}

bool IsIp(const std::string& h) { return h.find_first_not_of("0123456789.") == std::string::npos || h.find(':') != std::string::npos; }

}  // namespace

std::optional<KeyPair> IssueClientCert(const KeyPair& ca, const std::string& user, const std::vector<std::string>& groups,
                                       std::string* error) {
  return Issue({user, groups}, &ca,
               {{NID_basic_constraints, "critical,CA:FALSE"},
                {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                {NID_ext_key_usage, "clientAuth"}},
               error);
}

std::optional<Pki> LoadOrCreatePki(const std::optional<std::filesystem::path>& dir, const std::vector<std::string>& hosts,
                                   std::string* error) {
  Pki pki;
  if (dir) {
    auto ca_crt = ReadFile(*dir / "ca.crt"), ca_key = ReadFile(*dir / "ca.key");
    auto srv_crt = ReadFile(*dir / "server.crt"), srv_key = ReadFile(*dir / "server.key");
    if (ca_crt && ca_key && srv_crt && srv_key) {
      pki.ca = {*ca_crt, *ca_key};
      pki.server = {*srv_crt, *srv_key};
      return pki;
    }
  }
  auto ca = Issue({"kube-testapi-ca", {}}, nullptr,
                  {{NID_basic_constraints, "critical,CA:TRUE"},
                   {NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature"},
                   {NID_subject_key_identifier, "hash"}},
                  error);
  if (!ca) return std::nullopt;
  std::string san;
  for (const auto& h : hosts) san += (san.empty() ? "" : ",") + std::string(IsIp(h) ? "IP:" : "DNS:") + h;
  auto server = Issue({"kube-testapi", {}}, &*ca,
                      {{NID_basic_constraints, "critical,CA:FALSE"},
                       {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                       {NID_ext_key_usage, "serverAuth"},
                       {NID_subject_alt_name, san}},
                      error);
  if (!server) return std::nullopt;
  pki.ca = *ca;
  pki.server = *server;
  if (dir) {
    std::error_code ec;
    std::filesystem::create_directories(*dir, ec);
    if (!WriteFile(*dir / "ca.crt", ca->cert_pem) || !WriteFile(*dir / "ca.key", ca->key_pem) ||
        !WriteFile(*dir / "server.crt", server->cert_pem) || !WriteFile(*dir / "server.key", server->key_pem)) {
      *error = "write certificates to " + dir->string() + ": cannot write";
      return std::nullopt;
    }
  }
  return pki;
}

}  // namespace testapi
