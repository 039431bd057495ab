// The driver's consent choices, remembered per kind of report (the quick-feedback tile or
// category key): attach the diagnostic snapshot, attach the (coarse) location, may the service
// team call back; and the callback number. The review step before sending shows the remembered
// choice and the driver may change it; the store is never applied without that review.
//
// Kept in an INI file through QSettings, not in the agent's CarStore: it is a preference of
// the driver on this head unit, read synchronously on the Qt thread when the review opens; the
// car store is the outbox on the agent's strand (asynchronous, schema-migrated), and what goes
// on the wire is each report's own Consent, fixed when it is queued.
//
// The callback number is personal: with the car store's keys it is kept sealed (AES-256-GCM,
// fb/common/crypto.hpp; "sealed:" + base64), as in the store itself (docs/privacy.md).
//
// Threads: the Qt thread only. Errors: a file that cannot be written is logged (QSettings
// status) and the choice is kept for this run only; a number that no longer opens (the key was
// lost) is logged and forgotten: the driver types it again.
#pragma once

#include <QSettings>
#include <QString>
#include <memory>

#include "fb/common/crypto.hpp"

namespace fb::ui {

struct ConsentChoice {
  bool diagnostics = false;
  bool location = false;
  bool contact = false;
  /// The choice was remembered from an earlier report of this kind (false: the defaults).
  bool remembered = false;

  bool operator==(const ConsentChoice&) const = default;
};

class ConsentStore {
 public:
  /// `file`: the INI file (created on the first remember()). `keys`: the car store's key ring, to
  /// seal the callback number (null: kept in the clear, as by a car without keys).
  explicit ConsentStore(const QString& file, std::shared_ptr<const crypto::KeyRing> keys = nullptr);

  /// The remembered choice for `kind`, else the defaults: the snapshot on where the kind offers
  /// one, no location, no callback.
  ConsentChoice choice(const QString& kind, bool offers_snapshot) const;
  /// Remembers `choice` for `kind` (its `remembered` is ignored) and writes the file.
  void remember(const QString& kind, const ConsentChoice& choice);
  /// The callback number the driver gave last ("": the one on record with the service team).
  QString phone() const;
  void setPhone(const QString& phone);

 private:
  void write_phone(const QString& phone) const;  // sealed when there are keys

  mutable QSettings settings_;
  std::shared_ptr<const crypto::KeyRing> keys_;
};

}  // namespace fb::ui
