# cmake -DFUZZER=PATH -DWORK=DIR -P expect_ub_crash.cmake: runs the UB canary target on an
# input that overflows and fails unless libFuzzer stopped on it (non-zero exit, UBSan's
# report, a crash-* artifact).
if(NOT EXISTS "${FUZZER}")
  message(FATAL_ERROR "the canary target is not built: ${FUZZER}")
endif()
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/corpus)
file(WRITE ${WORK}/corpus/overflow "UU")
# Fuzzing mode over a corpus holding the input (a campaign's case; running the file alone
# writes no artifact).
execute_process(COMMAND ${FUZZER} -runs=10 -artifact_prefix=${WORK}/ ${WORK}/corpus
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
file(GLOB artifacts ${WORK}/crash-*)
file(REMOVE_RECURSE ${WORK})
if(rc EQUAL 0)
  message(FATAL_ERROR "undefined behaviour did not stop the fuzzer (exit 0):\n${out}")
endif()
if(NOT out MATCHES "runtime error: signed integer overflow")
  message(FATAL_ERROR "no UBSan report in the fuzzer's output:\n${out}")
endif()
if(NOT artifacts)
  message(FATAL_ERROR "the fuzzer kept no crash artifact for the input:\n${out}")
endif()
message(STATUS "undefined behaviour is a crash (exit ${rc})")
