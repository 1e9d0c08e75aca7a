# Helpers shared by every target of the project.

# Compiler settings for code we own (not for generated protobuf sources).
function(loyalty_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic
    -Wno-missing-field-initializers)
  if(LOYALTY_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(LOYALTY_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined
      -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  endif()
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
endfunction()

function(loyalty_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  loyalty_defaults(${name})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

function(loyalty_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  loyalty_defaults(${name})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
endfunction()

# A GoogleTest executable registered with ctest. LABELS: unit, pg, redis, e2e.
function(loyalty_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  loyalty_defaults(${name})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  add_test(NAME ${name} COMMAND ${name})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
    ENVIRONMENT "LOYALTY_BUILD_DIR=${PROJECT_BINARY_DIR};LOYALTY_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()

# Embeds every *.sql file of DIR, sorted by name, into a generated source that
# defines `std::span<const loyalty::pg::Migration> <SYMBOL>()`. Migrations ship
# inside the binary, so an image needs no extra files.
function(loyalty_embed_migrations target dir symbol)
  file(GLOB sql_files CONFIGURE_DEPENDS "${dir}/*.sql")
  list(SORT sql_files)
  set(out "${CMAKE_CURRENT_BINARY_DIR}/${target}_migrations.cc")
  # A ';'-separated list would be split into separate shell words once there
  # are two files; pass it comma-separated (EmbedMigrations.cmake splits it).
  string(REPLACE ";" "," files_arg "${sql_files}")
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DSYMBOL=${symbol} "-DFILES=${files_arg}"
            -P ${PROJECT_SOURCE_DIR}/cmake/EmbedMigrations.cmake
    DEPENDS ${sql_files} ${PROJECT_SOURCE_DIR}/cmake/EmbedMigrations.cmake
    COMMENT "Embedding migrations for ${target}")
  target_sources(${target} PRIVATE ${out})
endfunction()
