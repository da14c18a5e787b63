# `cmake --install build [--prefix DIR]`: the launcher, the shim, the Python
# package, the public header, the static core, a CMake package config
# (find_package(hermetic)) and hermetic.pc for pkg-config.
#
# Layout (GNUInstallDirs; PKGLIBDIR = ${CMAKE_INSTALL_LIBDIR}/hermetic):
#   bin/hermetic                          the launcher
#   PKGLIBDIR/libhermetic.so              the LD_PRELOAD shim (a module, not
#                                         a link library: never -lhermetic)
#   PKGLIBDIR/python/hermetic/            the Python package with _native
#                                         (the launcher adds it to PYTHONPATH
#                                         of Python targets itself)
#   include/hermetic/{hermetic,version}.h the public header
#   LIBDIR/libhermetic-core.a             the pure policy core (PIC)
#   LIBDIR/cmake/hermetic/                hermeticConfig.cmake + targets:
#                                         hermetic::core, hermetic::shim,
#                                         hermetic::hermetic (the launcher)
#   LIBDIR/pkgconfig/hermetic.pc          Cflags/Libs for the core, and the
#                                         variables shim, launcher, pythonpath
# The launcher finds the shim through the relative path from BINDIR to
# PKGLIBDIR compiled into it (cli/CMakeLists.txt), so the tree is
# relocatable: `--prefix` at install time works.
include(CMakePackageConfigHelpers)

set(HERMETIC_INSTALL_PKGLIBDIR ${CMAKE_INSTALL_LIBDIR}/hermetic)
set(HERMETIC_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/hermetic)

set_target_properties(hermetic_core_plain PROPERTIES
  OUTPUT_NAME hermetic-core EXPORT_NAME core)
set_target_properties(hermetic_shim PROPERTIES EXPORT_NAME shim)
set_target_properties(hermetic_cli PROPERTIES EXPORT_NAME hermetic)

install(TARGETS hermetic_cli EXPORT hermeticTargets
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
install(TARGETS hermetic_shim EXPORT hermeticTargets
  LIBRARY DESTINATION ${HERMETIC_INSTALL_PKGLIBDIR} COMPONENT runtime)
install(TARGETS hermetic_core_plain EXPORT hermeticTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT devel
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES
  ${PROJECT_SOURCE_DIR}/libhermetic/include/hermetic/hermetic.h
  ${PROJECT_BINARY_DIR}/include/hermetic/version.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/hermetic COMPONENT devel)

if(HERMETIC_PYTHON)
  install(TARGETS hermetic_native
    LIBRARY DESTINATION ${HERMETIC_INSTALL_PKGLIBDIR}/python/hermetic
    COMPONENT runtime)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/pybind/hermetic/
    DESTINATION ${HERMETIC_INSTALL_PKGLIBDIR}/python/hermetic
    COMPONENT runtime
    FILES_MATCHING PATTERN "*.py" PATTERN "__pycache__" EXCLUDE)
endif()

install(EXPORT hermeticTargets NAMESPACE hermetic::
  DESTINATION ${HERMETIC_INSTALL_CMAKEDIR} COMPONENT devel)
configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/hermeticConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/hermeticConfig.cmake
  INSTALL_DESTINATION ${HERMETIC_INSTALL_CMAKEDIR}
  PATH_VARS HERMETIC_INSTALL_PKGLIBDIR CMAKE_INSTALL_BINDIR)
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/cmake/hermeticConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/cmake/hermeticConfig.cmake
  ${PROJECT_BINARY_DIR}/cmake/hermeticConfigVersion.cmake
  DESTINATION ${HERMETIC_INSTALL_CMAKEDIR} COMPONENT devel)

# hermetic.pc: prefix relative to the .pc file, so --prefix relocates it.
file(RELATIVE_PATH HERMETIC_PC_UP
  ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" HERMETIC_PC_UP "${HERMETIC_PC_UP}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/hermetic.pc.in
  ${PROJECT_BINARY_DIR}/cmake/hermetic.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/cmake/hermetic.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT devel)
