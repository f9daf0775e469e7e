add_library(parley_warnings INTERFACE)
target_compile_options(parley_warnings INTERFACE -Wall -Wextra -Wpedantic)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  # g++ 12 at -O2 reports impossible overlaps inside libstdc++'s own std::string code
  # (GCC bug 105329, fixed in 13); the warning says nothing about our code there.
  target_compile_options(parley_warnings INTERFACE -Wno-restrict)
endif()
if(PARLEY_WERROR)
  target_compile_options(parley_warnings INTERFACE -Werror)
endif()
