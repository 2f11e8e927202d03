# cmake -P script behind the `install` ctest (see CMakeLists.txt beside it).
foreach(v ATTN_BINARY_DIR CONSUMER_SOURCE_DIR WORK_DIR CONSUMER_GENERATOR CONSUMER_CXX_COMPILER)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "run-install-test.cmake: -D${v}=... is required")
  endif()
endforeach()

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${ARGN}\n${out}\n${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()

set(prefix ${WORK_DIR}/prefix)
set(build ${WORK_DIR}/consumer-build)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

run("cmake --install" ${CMAKE_COMMAND} --install ${ATTN_BINARY_DIR} --prefix ${prefix})
foreach(f bin/attnc include/attnrt/Manifest.h include/attn_kernels/abi.h)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "not installed: ${prefix}/${f}")
  endif()
endforeach()

# --as-needed: this consumer calls no driver API, so it must run on a machine
# without libcuda.so.1 (CI) whichever linker default the compiler has (gcc on
# Debian drops unused libraries by default, clang does not).
set(flags "-DCMAKE_EXE_LINKER_FLAGS=-Wl,--as-needed ${CONSUMER_LINKER_FLAGS}")
run("consumer configure" ${CMAKE_COMMAND} -G ${CONSUMER_GENERATOR}
  -S ${CONSUMER_SOURCE_DIR} -B ${build}
  -DCMAKE_BUILD_TYPE=Release
  -DCMAKE_CXX_COMPILER=${CONSUMER_CXX_COMPILER}
  -DCMAKE_PREFIX_PATH=${prefix}
  ${flags})
run("consumer build" ${CMAKE_COMMAND} --build ${build})

run("consumer run" ${build}/consumer)
if(NOT out MATCHES "^OK\n?$")
  message(FATAL_ERROR "consumer printed:\n${out}\n(expected OK)")
endif()

# examples/embed: the engine example builds against the installed package
# (its kernels header emitted by the installed attnc). Running it needs a GPU:
# scripts/gpu-stage.sh carries it to the GPU machine.
if(DEFINED EMBED_SOURCE_DIR)
  run("embed configure" ${CMAKE_COMMAND} -G ${CONSUMER_GENERATOR}
    -S ${EMBED_SOURCE_DIR} -B ${WORK_DIR}/embed-build
    -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_CXX_COMPILER=${CONSUMER_CXX_COMPILER}
    -DCMAKE_PREFIX_PATH=${prefix}
    "-DCMAKE_EXE_LINKER_FLAGS=${CONSUMER_LINKER_FLAGS}")
  run("embed build" ${CMAKE_COMMAND} --build ${WORK_DIR}/embed-build)
  if(NOT EXISTS ${WORK_DIR}/embed-build/embed-engine)
    message(FATAL_ERROR "examples/embed built no embed-engine")
  endif()
endif()

run("installed attnc --version" ${prefix}/bin/attnc --version)
if(NOT out MATCHES "^attnc ")
  message(FATAL_ERROR "attnc --version printed:\n${out}")
endif()
message(STATUS "install test: consumer OK; ${out}")
