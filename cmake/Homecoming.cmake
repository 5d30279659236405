# Helpers shared by every Homecoming target.

# Warnings (as errors when HC_WERROR) for our own code only; generated code is left alone.
function(hc_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow=local
                                           -Wnon-virtual-dtor -Wno-missing-field-initializers)
  if(HC_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# hc_library(NAME SRCS ... DEPS ...): a static library of ours with include root at repo top.
function(hc_library name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SRCS})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  hc_warnings(${name})
endfunction()

# hc_test(NAME SRCS ... DEPS ... [INTEGRATION]): a GoogleTest binary registered with ctest.
# Integration tests get the ctest label `integration` and run one at a time: they share the
# test stack's servers and start private ones of their own.
function(hc_test name)
  if(NOT HC_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "INTEGRATION" "" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  hc_warnings(${name})
  if(ARG_INTEGRATION)
    gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
                         PROPERTIES LABELS integration RUN_SERIAL TRUE TIMEOUT 600)
  else()
    gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS unit TIMEOUT 120)
  endif()
endfunction()

# hc_proto_library(NAME PROTOS ... [DEPS ...]): C++ messages and gRPC stubs for one package.
function(hc_proto_library name)
  cmake_parse_arguments(ARG "" "" "PROTOS;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_PROTOS})
  target_link_libraries(${name} PUBLIC protobuf::libprotobuf gRPC::grpc++ ${ARG_DEPS})
  target_include_directories(${name} PUBLIC ${PROJECT_BINARY_DIR}/proto)
  protobuf_generate(TARGET ${name} LANGUAGE cpp IMPORT_DIRS ${PROJECT_SOURCE_DIR}/proto
                    PROTOC_OUT_DIR ${PROJECT_BINARY_DIR}/proto)
  protobuf_generate(TARGET ${name} LANGUAGE grpc GENERATE_EXTENSIONS .grpc.pb.h .grpc.pb.cc
                    PLUGIN "protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin>"
                    IMPORT_DIRS ${PROJECT_SOURCE_DIR}/proto
                    PROTOC_OUT_DIR ${PROJECT_BINARY_DIR}/proto)
endfunction()

# hc_embed_migrations(TARGET DIR): compiles every DIR/NNNN_*.sql into TARGET as
# `const std::vector<hc::postgres::Migration>& <TARGET>_migrations()`, in file-name order,
# so a binary carries its schema and needs no path at run time.
function(hc_embed_migrations target dir)
  file(GLOB sql_files CONFIGURE_DEPENDS "${dir}/*.sql")
  list(SORT sql_files)
  set(out "${CMAKE_CURRENT_BINARY_DIR}/${target}_migrations.cc")
  set(body "#include \"libs/postgres/migrations.h\"\n\n")
  string(APPEND body "const std::vector<hc::postgres::Migration>& ${target}_migrations() {\n")
  string(APPEND body "  static const std::vector<hc::postgres::Migration> kMigrations = {\n")
  foreach(f ${sql_files})
    get_filename_component(stem "${f}" NAME_WE)
    file(READ "${f}" sql)
    string(APPEND body "      {\"${stem}\", R\"hcsql(${sql})hcsql\"},\n")
  endforeach()
  string(APPEND body "  };\n  return kMigrations;\n}\n")
  file(GENERATE OUTPUT "${out}" CONTENT "${body}")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${sql_files})
  target_sources(${target} PRIVATE "${out}")
endfunction()
