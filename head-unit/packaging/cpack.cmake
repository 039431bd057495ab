# Debian packages of the head unit, one per install component (packaging/CMakeLists.txt):
#   fb-car_<version>_<arch>.deb        the agent: fb-car, its systemd unit, /etc/fb-car/fb-car.conf
#   fb-headunit_<version>_<arch>.deb   the Qt Quick app
# Made by `cmake --build build/aarch64 --target package` (arm64 from the aarch64 preset).
# Included at the end of the top-level CMakeLists.txt, after every install rule.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME fb-head-unit)
set(CPACK_PACKAGE_VENDOR "Vehicle feedback loop")
set(CPACK_PACKAGE_CONTACT "Vehicle feedback loop team <feedback@example.com>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/packages)
set(CPACK_STRIP_FILES ON)  # RelWithDebInfo binaries carry ~10x their size in DWARF
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL agent)
if(FB_BUILD_QT_APP)
  list(APPEND CPACK_COMPONENTS_ALL app)
endif()
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# dpkg's name for the target CPU, not the build host's (CPack would ask dpkg on the host).
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
  set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE arm64)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64)$")
  set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE amd64)
endif()
set(CPACK_DEBIAN_PACKAGE_SECTION misc)

# Runtime library dependencies from dpkg-shlibdeps. It works for the cross build as it is: it
# reads each ELF's machine and finds the libraries of the :arm64 packages in their multiarch
# directories (checked: the same Depends with and without DEB_HOST_ARCH=arm64).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)

set(CPACK_DEBIAN_AGENT_PACKAGE_NAME fb-car)
set(CPACK_COMPONENT_AGENT_DESCRIPTION
  "Vehicle feedback agent for the head unit\nThe durable report queue and its MQTT/TLS link to the backend, run as the\nfb-car systemd service. Config in /etc/fb-car, certificates in /etc/fb-car/pki,\nthe queue in /var/lib/fb-car.")
# adduser: the postinst creates the fb-car system user.
set(CPACK_DEBIAN_AGENT_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_AGENT_PACKAGE_CONTROL_EXTRA
  ${CMAKE_CURRENT_LIST_DIR}/conffiles ${CMAKE_CURRENT_LIST_DIR}/postinst
  ${CMAKE_CURRENT_LIST_DIR}/prerm ${CMAKE_CURRENT_LIST_DIR}/postrm)
set(CPACK_DEBIAN_AGENT_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_APP_PACKAGE_NAME fb-headunit)
set(CPACK_COMPONENT_APP_DESCRIPTION
  "Vehicle feedback app for the head unit (Qt Quick)\nThe driver's screen: report a problem, follow its case, answer service visits.\nIt embeds its own agent; do not run it with the fb-car service on the same VIN.")
# QML modules are loaded at run time, so dpkg-shlibdeps cannot see them.
set(CPACK_DEBIAN_APP_PACKAGE_DEPENDS
  "qml6-module-qtquick, qml6-module-qtquick-controls, qml6-module-qtquick-layouts, qml6-module-qtquick-window, qml6-module-qtquick-templates, qml6-module-qtqml-workerscript, qml6-module-qtqml-models")
# The UI shows Chinese text. The on-screen keyboard: without it a touch-only head unit cannot
# type a description or a callback number (the app falls back to the platform's input).
set(CPACK_DEBIAN_APP_PACKAGE_RECOMMENDS "fonts-noto-cjk, qml6-module-qtquick-virtualkeyboard, qt6-virtualkeyboard-plugin")

include(CPack)
