#include "fb/ui/consent_store.hpp"

#include <spdlog/spdlog.h>

namespace fb::ui {
namespace {

QString key(const QString& kind, const char* what) {
  return QStringLiteral("consent/") + kind + QLatin1Char('/') + QLatin1String(what);
}

const QString kPhoneKey = QStringLiteral("contact/phone");
const QString kSealedPrefix = QStringLiteral("sealed:");
constexpr std::string_view kPhonePlace = "consent.phone";

}  // namespace

ConsentStore::ConsentStore(const QString& file, std::shared_ptr<const crypto::KeyRing> keys)
    : settings_(file, QSettings::IniFormat),
      keys_(std::move(keys)) {}

ConsentChoice ConsentStore::choice(const QString& kind, bool offers_snapshot) const {
  ConsentChoice c;
  c.remembered = settings_.contains(key(kind, "diagnostics"));
  c.diagnostics = settings_.value(key(kind, "diagnostics"), offers_snapshot).toBool();
  c.location = settings_.value(key(kind, "location"), false).toBool();
  c.contact = settings_.value(key(kind, "contact"), false).toBool();
  return c;
}

void ConsentStore::remember(const QString& kind, const ConsentChoice& choice) {
  settings_.setValue(key(kind, "diagnostics"), choice.diagnostics);
  settings_.setValue(key(kind, "location"), choice.location);
  settings_.setValue(key(kind, "contact"), choice.contact);
  settings_.sync();
  if (settings_.status() != QSettings::NoError) {
    spdlog::warn("ui: consent choices not written to {}", settings_.fileName().toStdString());
  }
}

QString ConsentStore::phone() const {
  auto stored = settings_.value(kPhoneKey).toString();
  if (!stored.startsWith(kSealedPrefix)) {
    // None, or written without keys: sealed now that there are keys.
    if (keys_ && !stored.isEmpty()) write_phone(stored);
    return stored;
  }
  if (!keys_) {
    spdlog::warn("ui: the remembered callback number is sealed and no key is configured: forgotten");
    return {};
  }
  const auto sealed = QByteArray::fromBase64(stored.mid(kSealedPrefix.size()).toLatin1());
  auto opened = keys_->open(std::string_view(sealed.constData(), static_cast<std::size_t>(sealed.size())), kPhonePlace);
  if (!opened) {
    spdlog::warn("ui: the remembered callback number does not open ({}): forgotten", opened.error().what());
    return {};
  }
  return QString::fromStdString(*opened);
}

void ConsentStore::setPhone(const QString& phone) { write_phone(phone); }

void ConsentStore::write_phone(const QString& phone) const {
  QString stored = phone;
  if (keys_ && !phone.isEmpty()) {
    auto sealed = keys_->seal(phone.toStdString(), kPhonePlace);
    if (!sealed) {
      // Not kept rather than kept in the clear; the number still goes with this report.
      spdlog::warn("ui: the callback number is not remembered: {}", sealed.error().what());
      stored.clear();
    } else {
      stored = kSealedPrefix +
               QString::fromLatin1(QByteArray(sealed->data(), static_cast<qsizetype>(sealed->size())).toBase64());
    }
  }
  settings_.setValue(kPhoneKey, stored);
  settings_.sync();
}

}  // namespace fb::ui
