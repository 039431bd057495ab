# Writes OUT, a C++ file whose fb::api::openapi_document() returns the bytes of IN.
file(READ ${IN} content)
file(WRITE ${OUT} "// Generated from docs/openapi.json by backend/api/embed.cmake; do not edit.\n"
  "#include \"fb/api/api.hpp\"\n"
  "namespace fb::api {\nstd::string_view openapi_document() {\n  static constexpr char kDocument[] = R\"FBJSON(${content})FBJSON\";\n"
  "  return {kDocument, sizeof kDocument - 1};\n}\n}  // namespace fb::api\n")
