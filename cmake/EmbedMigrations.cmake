# Script mode: writes OUT, a C++ source embedding the SQL FILES as migrations.
string(REPLACE "," ";" FILES "${FILES}")
set(body "")
set(index 0)
foreach(f ${FILES})
  get_filename_component(name ${f} NAME_WE)
  file(READ ${f} sql)
  string(APPEND body "    {\"${name}\", R\"loyalty_sql(${sql})loyalty_sql\"},\n")
  math(EXPR index "${index}+1")
endforeach()
file(WRITE ${OUT}.tmp "// Generated from SQL migrations; do not edit.
#include <span>

#include \"libs/pg/migrations.h\"

namespace loyalty::generated {
std::span<const loyalty::pg::Migration> ${SYMBOL}() {
  static const loyalty::pg::Migration kMigrations[] = {
${body}  };
  return kMigrations;
}
}  // namespace loyalty::generated
")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUT}.tmp)
