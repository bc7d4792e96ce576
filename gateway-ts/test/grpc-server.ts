import { Server, ServerCredentials, ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';

export interface GrpcTestServer {
  /** host:port to dial. */
  target: string;
  /** Stops at once, cancelling calls still open (a test's server may hold calls it never answers). */
  stop(): Promise<void>;
}

/** A plaintext gRPC server on an ephemeral loopback port serving one service the test implements. */
export async function serveGrpc(definition: ServiceDefinition, impl: UntypedServiceImplementation): Promise<GrpcTestServer> {
  const server = new Server();
  server.addService(definition, impl);
  const port = await new Promise<number>((ok, fail) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? fail(err) : ok(p))),
  );
  return {
    target: `127.0.0.1:${port}`,
    stop: async () => server.forceShutdown(),
  };
}
