// A minimal test harness for the native helpers: TEST registers a case, CHECK records a failure
// with its file and line and goes on. main.cc runs every case and prints "N passed, N failed".
#pragma once

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace native_test {

struct Case {
  const char *name;
  std::function<void()> run;
};

inline std::vector<Case> &cases() {
  static std::vector<Case> all;
  return all;
}

inline int &failures_in_case() {
  static int failures = 0;
  return failures;
}

struct Register {
  Register(const char *name, std::function<void()> run) { cases().push_back({name, run}); }
};

inline void fail(const char *file, int line, const std::string &what) {
  std::printf("    %s:%d: %s\n", file, line, what.c_str());
  failures_in_case()++;
}

}  // namespace native_test

#define TEST_CONCAT_(a, b) a##b
#define TEST_CONCAT(a, b) TEST_CONCAT_(a, b)
#define TEST(name)                                                                             \
  static void TEST_CONCAT(test_, __LINE__)();                                                  \
  static native_test::Register TEST_CONCAT(register_, __LINE__)(name,                          \
                                                                TEST_CONCAT(test_, __LINE__)); \
  static void TEST_CONCAT(test_, __LINE__)()

#define CHECK(condition) \
  ((condition) ? (void)0 : native_test::fail(__FILE__, __LINE__, "CHECK(" #condition ")"))
#define CHECK_EQ(actual, expected)                                                                 \
  ((actual) == (expected)                                                                          \
       ? (void)0                                                                                   \
       : native_test::fail(__FILE__, __LINE__,                                                     \
                           "CHECK_EQ(" #actual ", " #expected "): got " + std::to_string(actual) + \
                               ", expected " + std::to_string(expected)))
