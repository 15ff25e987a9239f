# chaincheck_fuzz_target(NAME LIBS ...): fuzz/<NAME>/<NAME>_fuzzer.cpp with corpus/<NAME>.
find_path(CHAINCHECK_FDP_INCLUDE fuzzer/FuzzedDataProvider.h
          PATHS /usr/lib/llvm-14/lib/clang/14.0.6/include /usr/lib/clang/14/include
          DOC "clang's FuzzedDataProvider.h (libclang-rt-14-dev / clang-14)")
# g++ must not see clang's own headers (stddef.h...): expose only fuzzer/ through a link.
if(CHAINCHECK_FDP_INCLUDE AND NOT EXISTS ${CMAKE_BINARY_DIR}/fdp/fuzzer/FuzzedDataProvider.h)
  file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/fdp/fuzzer)
  file(CREATE_LINK ${CHAINCHECK_FDP_INCLUDE}/fuzzer/FuzzedDataProvider.h
       ${CMAKE_BINARY_DIR}/fdp/fuzzer/FuzzedDataProvider.h SYMBOLIC)
endif()

function(chaincheck_fuzz_target name)
  cmake_parse_arguments(F "" "SMOKE_SECONDS;REPLAY_LABEL" "LIBS" ${ARGN})
  if(NOT F_SMOKE_SECONDS)
    set(F_SMOKE_SECONDS 5)
  endif()
  if(NOT F_REPLAY_LABEL)
    set(F_REPLAY_LABEL unit)  # "live" for targets that need the real QEMU
  endif()
  set(src ${CMAKE_CURRENT_SOURCE_DIR}/${name}_fuzzer.cpp)
  set(corpus ${CMAKE_SOURCE_DIR}/corpus/${name})
  set(dict ${CMAKE_SOURCE_DIR}/corpus/${name}.dict)
  set(regressions ${CMAKE_SOURCE_DIR}/corpus/regressions/${name})
  if(NOT EXISTS ${regressions})
    set(regressions "")
  endif()
  if(CHAINCHECK_FUZZ)
    add_executable(${name}_fuzzer ${src})
    if(CHAINCHECK_FUZZ_ENGINE)
      separate_arguments(engine UNIX_COMMAND "${CHAINCHECK_FUZZ_ENGINE}")
      target_link_options(${name}_fuzzer PRIVATE ${engine})
    else()
      # The sanitizers come with the directory-wide options (CMakeLists.txt).
      target_compile_options(${name}_fuzzer PRIVATE -fsanitize=fuzzer)
      target_link_options(${name}_fuzzer PRIVATE -fsanitize=fuzzer)
    endif()
    target_link_libraries(${name}_fuzzer PRIVATE ${F_LIBS})
    set(args -max_total_time=${F_SMOKE_SECONDS} -rss_limit_mb=2048 -print_final_stats=1)
    if(EXISTS ${dict})
      list(APPEND args -dict=${dict})
    endif()
    # fuzz/<NAME>/<NAME>_fuzzer.options (OSS-Fuzz format): every "name = value" is a flag.
    set(options ${CMAKE_CURRENT_SOURCE_DIR}/${name}_fuzzer.options)
    if(EXISTS ${options})
      file(STRINGS ${options} lines REGEX "^[a-z_]+ *= *[^ #]+")
      foreach(line IN LISTS lines)
        string(REGEX REPLACE "^([a-z_]+) *= *([^ #]+).*" "-\\1=\\2" flag "${line}")
        list(APPEND args ${flag})
      endforeach()
    endif()
    # Run over a scratch copy so the smoke run never writes into the source corpus.
    add_test(NAME fuzz_smoke_${name}
             COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=1
                     $<TARGET_FILE:${name}_fuzzer> ${args} ${CMAKE_CURRENT_BINARY_DIR}/scratch ${corpus} ${regressions})
    set_tests_properties(fuzz_smoke_${name} PROPERTIES LABELS fuzz-smoke TIMEOUT 120
                         FIXTURES_REQUIRED fuzz_scratch_${name})
    add_test(NAME fuzz_scratch_${name} COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_CURRENT_BINARY_DIR}/scratch)
    set_tests_properties(fuzz_scratch_${name} PROPERTIES FIXTURES_SETUP fuzz_scratch_${name} LABELS fuzz-smoke)
  endif()
  if(NOT CHAINCHECK_FUZZ)
    add_executable(${name}_replay ${src} ${CMAKE_SOURCE_DIR}/fuzz/replay_main.cpp)
    target_link_libraries(${name}_replay PRIVATE ${F_LIBS})
    target_include_directories(${name}_replay PRIVATE ${CMAKE_BINARY_DIR}/fdp)
    add_test(NAME fuzz_replay_${name} COMMAND ${name}_replay ${corpus} ${regressions})
    set_tests_properties(fuzz_replay_${name} PROPERTIES LABELS ${F_REPLAY_LABEL} TIMEOUT 120)
  endif()
endfunction()
