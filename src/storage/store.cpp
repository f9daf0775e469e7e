#include "storage/store.hpp"

namespace parley::storage {

bool UserPatch::empty() const {
  return !display_name && !email && !title && !department && !office && !site && !phone_work &&
         !phone_mobile && !phone_home && !phone_other && !enabled;
}

}  // namespace parley::storage
