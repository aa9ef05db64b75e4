#include "cli/commands.h"

namespace seek::cli {

int cmd_tokenize(Args& args) {
  args.finish();
  return 0;
}

}  // namespace seek::cli
