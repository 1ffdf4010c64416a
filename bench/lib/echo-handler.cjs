// The benchmark's function for @serverless-k8s/runtime (Kubeless contract): echo the JSON body.
module.exports = { echo: (event) => event.data };
