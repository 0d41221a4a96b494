# What `cmake --install build --prefix PREFIX` puts where (GNUInstallDirs):
#   bin/lariat                              the command line
#   lib/liblariat.so.X.Y.Z (or .a)          the library, target lariat::lariat
#   include/lariat.h                        the public API
#   lib/cmake/lariat/                       the CMake package
#   lib/pkgconfig/lariat.pc                 the pkg-config module
#   share/man/man1/lariat.1                 the manual page
#   share/doc/lariat/examples/              the example program and its build files
#   lib/python3/dist-packages/lariat/       the Python package (LARIAT_INSTALL_PYTHONDIR;
#                                           with the shared library only)
# tests/install/install.sh installs into a temporary prefix and builds the
# example against it, with CMake and with pkg-config; tests/python/install.sh
# imports the Python package from the prefix.
include(CMakePackageConfigHelpers)

set(LARIAT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/lariat)

install(TARGETS lariat RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS lariat_library EXPORT lariatTargets
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")

install(EXPORT lariatTargets NAMESPACE lariat:: DESTINATION ${LARIAT_CMAKE_DIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/lariatConfig.cmake.in
  ${PROJECT_BINARY_DIR}/lariatConfig.cmake INSTALL_DESTINATION ${LARIAT_CMAKE_DIR})
# While the major version is 0, a minor version may break the API (as the
# SOVERSION says): only the same major.minor is compatible.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(compatibility SameMinorVersion)
else()
  set(compatibility SameMajorVersion)
endif()
write_basic_package_version_file(${PROJECT_BINARY_DIR}/lariatConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY ${compatibility})
install(FILES ${PROJECT_BINARY_DIR}/lariatConfig.cmake ${PROJECT_BINARY_DIR}/lariatConfigVersion.cmake
  DESTINATION ${LARIAT_CMAKE_DIR})

# pkg-config. MPI under Requires (lariat.h includes mpi.h): the module of the
# MPI that the library was built with, Open MPI's ompi-c on Debian (mpi-c is
# whichever MPI the alternatives system selects, which may not be it). The
# modules of CMakeLists.txt's pkg_check_modules and OpenBLAS are private.
pkg_search_module(LARIAT_PC_MPI_FOUND QUIET ompi-c mpich mpi-c)
if(LARIAT_PC_MPI_FOUND_FOUND)
  set(LARIAT_PC_MPI ${LARIAT_PC_MPI_FOUND_MODULE_NAME})
else()
  message(WARNING "no pkg-config module for MPI (ompi-c, mpich, mpi-c): lariat.pc will not require one")
  set(LARIAT_PC_MPI "")
endif()
set(LARIAT_PC_REQUIRES_PRIVATE "lapacke scalapack-openmpi openblas libcjson inih hdf5-openmpi")
# The prefix as seen from lib/pkgconfig, so that the installed tree can move;
# with an absolute LIBDIR or INCLUDEDIR, the configured prefix.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(LARIAT_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH up /_/${CMAKE_INSTALL_LIBDIR}/pkgconfig /_)
  string(REGEX REPLACE "/$" "" up "${up}")
  set(LARIAT_PC_PREFIX "\${pcfiledir}/${up}")
endif()
foreach(dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
    set(LARIAT_PC_${dir} "${CMAKE_INSTALL_${dir}}")
  else()
    set(LARIAT_PC_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
  endif()
endforeach()
configure_file(${CMAKE_CURRENT_LIST_DIR}/lariat.pc.in ${PROJECT_BINARY_DIR}/lariat.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/lariat.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(FILES ${PROJECT_SOURCE_DIR}/man/lariat.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# The Python package: pure Python (ctypes over the shared liblariat), so it
# goes where Debian's python3 looks for packages under a prefix, and it finds
# the library three folders up (python/lariat/_capi.py). Elsewhere, set
# PYTHONPATH to this folder.
if(BUILD_SHARED_LIBS)
  set(LARIAT_INSTALL_PYTHONDIR lib/python3/dist-packages CACHE STRING
    "Where cmake --install puts the Python package lariat (relative to the prefix)")
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/python/lariat DESTINATION ${LARIAT_INSTALL_PYTHONDIR}
    FILES_MATCHING PATTERN "*.py" PATTERN "__pycache__" EXCLUDE)
endif()
