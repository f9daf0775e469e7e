add_library(parley_warnings INTERFACE)
target_compile_options(parley_warnings INTERFACE -Wall -Wextra -Wpedantic)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  # Two g++ 12 false positives at -O2, both inside library code inlined into ours:
  # impossible overlaps in libstdc++'s std::string (GCC bug 105329, fixed in 13), and Asio's
  # coroutine-frame allocator, whose matching operator new/delete g++ 12 cannot pair up.
  target_compile_options(parley_warnings INTERFACE -Wno-restrict -Wno-mismatched-new-delete)
endif()
if(PARLEY_WERROR)
  target_compile_options(parley_warnings INTERFACE -Werror)
endif()
