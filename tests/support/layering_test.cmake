# Runs the generated layering check (CHECK) on a small tree made here: a back-include must fail
# the check and name the file and header; includes within the declared layers must pass.
set(root ${WORK}/layering-test)
file(REMOVE_RECURSE ${root})
file(WRITE ${root}/rules.txt "lower|lib/lower|lib/lower\nupper|lib/upper|lib/upper,lib/lower\n")
file(WRITE ${root}/lib/lower/a.h "#pragma once\n#include \"lib/lower/b.h\"\n")
file(WRITE ${root}/lib/upper/c.cpp "#include \"lib/lower/a.h\"\n#include <vector>\n")
execute_process(COMMAND ${CMAKE_COMMAND} -DROOT=${root} -DRULES=${root}/rules.txt
                        -DSTAMP=${root}/ok.stamp -P ${CHECK}
                RESULT_VARIABLE result ERROR_VARIABLE output)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "includes within the layers were refused:\n${output}")
endif()
file(WRITE ${root}/lib/lower/back.cpp "#include \"lib/upper/c.h\"\n")
execute_process(COMMAND ${CMAKE_COMMAND} -DROOT=${root} -DRULES=${root}/rules.txt
                        -DSTAMP=${root}/ok.stamp -P ${CHECK}
                RESULT_VARIABLE result ERROR_VARIABLE output)
if(result EQUAL 0)
  message(FATAL_ERROR "a back-include (lib/lower includes lib/upper) passed the check")
endif()
if(NOT output MATCHES "lib/lower/back.cpp includes lib/upper/c.h")
  message(FATAL_ERROR "the error does not name the file and the header:\n${output}")
endif()
file(REMOVE_RECURSE ${root})
