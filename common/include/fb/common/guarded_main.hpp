// One place for what every binary's main() does with an exception that escapes its body: our
// errors are values, so anything thrown that far (an allocation failure, a library's exception)
// ends the program with a message on stderr and exit code 1 instead of std::terminate.
#pragma once

namespace fb {

/// Returns body(argc, argv), or 1 after printing "<program>: <what>" when it throws.
int guarded_main(const char* program, int argc, char** argv, int (*body)(int, char**)) noexcept;

}  // namespace fb
