# The hardening jobs of CI, as ctest tests (label "hardening") so that the
# README's one test command runs them; .ci/setup turns LARIAT_CI_HARDENING on.
#
#   hardening_build       builds a second tree with clang, AddressSanitizer,
#                         UndefinedBehaviorSanitizer and libFuzzer's
#                         instrumentation: the CUnit binary and the fuzz targets
#   hardening_asan_np1/2  the CUnit suites in that tree at 1 and 2 ranks, all
#                         but "reference" (hundreds of fits to tight tolerances:
#                         minutes under the sanitizers, for code that "solvers"
#                         and "admm" run too)
#   fuzz_csv, fuzz_libsvm, fuzz_config
#                         each fuzz target for LARIAT_FUZZ_SECONDS, starting
#                         from its committed seed corpus (tests/fuzz/corpus),
#                         whose regression inputs it replays first
#   hardening_valgrind    a 2-rank fit of the main build under memcheck
#
# Open MPI allocates once and never frees: leak checks are off for the MPI
# programs (the fuzz targets keep libFuzzer's per-input leak check).
find_program(LARIAT_CLANG clang REQUIRED)
find_program(LARIAT_VALGRIND valgrind REQUIRED)
set(LARIAT_FUZZ_SECONDS 20 CACHE STRING "Seconds each fuzz target runs in CI")

set(hardening_dir ${PROJECT_BINARY_DIR}/hardening)
set(hardening_env ${LARIAT_TEST_ENV}
  "ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1:detect_stack_use_after_return=0"
  "UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1")

add_test(NAME hardening_build
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/hardening/build.sh ${PROJECT_SOURCE_DIR} ${hardening_dir})
set_tests_properties(hardening_build PROPERTIES
  FIXTURES_SETUP hardening PROCESSORS 2 TIMEOUT 900 LABELS hardening)

# The suites from harness.h's list (read again whenever it changes).
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/harness.h)
file(READ ${CMAKE_CURRENT_SOURCE_DIR}/harness.h harness_text)
string(REGEX MATCHALL "\n *X\\([a-z0-9_]+\\)" suite_items "${harness_text}")
set(asan_suites "")
foreach(item IN LISTS suite_items)
  string(REGEX REPLACE "^\n *X\\(([a-z0-9_]+)\\)$" "\\1" suite "${item}")
  list(APPEND asan_suites ${suite})
endforeach()
list(REMOVE_ITEM asan_suites reference)

foreach(np 1 2)
  add_test(NAME hardening_asan_np${np}
    COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${np} ${MPIEXEC_PREFLAGS}
            ${hardening_dir}/tests/lariat_tests ${MPIEXEC_POSTFLAGS} ${asan_suites})
  set_tests_properties(hardening_asan_np${np} PROPERTIES
    FIXTURES_REQUIRED hardening PROCESSORS ${np} TIMEOUT 600 LABELS "hardening;mpi"
    ENVIRONMENT "${hardening_env}")
endforeach()

foreach(target csv libsvm config)
  # New inputs go to a folder of the build tree; the committed corpus is only read.
  file(MAKE_DIRECTORY ${PROJECT_BINARY_DIR}/fuzz-corpus/${target})
  # Through `cmake -E env`: ctest would look for the binary before hardening_build made it.
  add_test(NAME fuzz_${target}
    COMMAND ${CMAKE_COMMAND} -E env UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
            ${hardening_dir}/tests/fuzz/fuzz_${target} -max_total_time=${LARIAT_FUZZ_SECONDS} -timeout=10
            -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=${PROJECT_BINARY_DIR}/fuzz-corpus/${target}-
            ${PROJECT_BINARY_DIR}/fuzz-corpus/${target} ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/${target})
  set_tests_properties(fuzz_${target} PROPERTIES
    FIXTURES_REQUIRED hardening PROCESSORS 1 TIMEOUT 300 LABELS "hardening;fuzz")
endforeach()

add_test(NAME hardening_valgrind
  COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} 2 ${MPIEXEC_PREFLAGS}
          ${LARIAT_VALGRIND} -q --error-exitcode=1 --leak-check=no
          --suppressions=/usr/share/openmpi/openmpi-valgrind.supp
          --suppressions=${CMAKE_CURRENT_SOURCE_DIR}/hardening/openmpi.supp
          $<TARGET_FILE:lariat> ${MPIEXEC_POSTFLAGS} fit --data ${PROJECT_SOURCE_DIR}/configs/data/diabetes.csv
          --solver admm --nlambda 20 --quiet --out ${PROJECT_BINARY_DIR}/valgrind-model.json)
set_tests_properties(hardening_valgrind PROPERTIES
  PROCESSORS 2 TIMEOUT 300 LABELS hardening ENVIRONMENT "${LARIAT_TEST_ENV}")
