// Runs every registered native test case; exit status 0 only if all passed.
#include <cstdio>

#include "check.h"

int main() {
  int passed = 0, failed = 0;
  for (const native_test::Case &test : native_test::cases()) {
    native_test::failures_in_case() = 0;
    test.run();
    const bool ok = native_test::failures_in_case() == 0;
    std::printf("  %s %s\n", ok ? "ok  " : "FAIL", test.name);
    (ok ? passed : failed)++;
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
