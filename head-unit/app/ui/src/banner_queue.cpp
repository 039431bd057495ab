#include "fb/ui/banner_queue.hpp"

#include <algorithm>

namespace fb::ui {

BannerQueue::BannerQueue(QObject* parent) : QObject(parent) {}

void BannerQueue::wait(Banner b, bool front) {
  const auto first_plain = std::find_if(waiting_.begin(), waiting_.end(), [](const Banner& w) { return !w.urgent; });
  if (b.urgent || front) {
    waiting_.insert(first_plain, std::move(b));
  } else {
    waiting_.push_back(std::move(b));
  }
  Q_EMIT waitingChanged();
}

void BannerQueue::push(Banner banner) {
  if (banner.urgent) {
    if (current_ && current_->urgent) return wait(std::move(banner));
    if (current_) wait(std::move(*current_), /*front=*/true);
    current_ = std::move(banner);
    Q_EMIT currentChanged();
    return;
  }
  if (current_ || moving_) return wait(std::move(banner));
  current_ = std::move(banner);
  Q_EMIT currentChanged();
}

void BannerQueue::setMoving(bool moving) {
  if (moving == moving_) return;
  moving_ = moving;
  if (moving_ && current_ && !current_->urgent) {
    wait(std::move(*current_), /*front=*/true);
    current_.reset();
    Q_EMIT currentChanged();
  }
  if (!moving_ && !current_) showNext();
}

void BannerQueue::dismiss() {
  if (!current_) return;
  current_.reset();
  showNext();
  if (!current_) Q_EMIT currentChanged();
}

void BannerQueue::showNext() {
  if (waiting_.empty() || (moving_ && !waiting_.front().urgent)) return;
  current_ = std::move(waiting_.front());
  waiting_.pop_front();
  Q_EMIT waitingChanged();
  Q_EMIT currentChanged();
}

}  // namespace fb::ui
