// Swagger UI (from its WebJar) on the spec Camel generates from the REST DSL in routes/ at /api/openapi.json.
// The spec's server is the address Camel binds (0.0.0.0): "Try it out" goes to the origin this page came from instead.
fetch('/api/openapi.json')
  .then((answer) => answer.json())
  .then((spec) => {
    window.ui = SwaggerUIBundle({
      spec: { ...spec, servers: [{ url: window.location.origin }] },
      dom_id: '#swagger-ui',
      deepLinking: true,
    });
  });
