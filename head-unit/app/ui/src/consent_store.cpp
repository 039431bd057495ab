#include "fb/ui/consent_store.hpp"

#include <spdlog/spdlog.h>

namespace fb::ui {
namespace {

QString key(const QString& kind, const char* what) {
  return QStringLiteral("consent/") + kind + QLatin1Char('/') + QLatin1String(what);
}

}  // namespace

ConsentStore::ConsentStore(const QString& file) : settings_(file, QSettings::IniFormat) {}

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

QString ConsentStore::phone() const { return settings_.value(QStringLiteral("contact/phone")).toString(); }

void ConsentStore::setPhone(const QString& phone) {
  settings_.setValue(QStringLiteral("contact/phone"), phone);
  settings_.sync();
}

}  // namespace fb::ui
