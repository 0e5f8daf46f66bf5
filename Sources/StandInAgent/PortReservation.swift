import NIOPosix

/// Finds a free port on `host` by binding port 0 and closing the socket again. Used when
/// the stand-in must tell its port before it listens (startup delay), so that callers can
/// see connections refused first, then answers, on the same address.
func reserveFreePort(host: String) async throws -> Int {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .bind(host: host, port: 0)
        .get()
    let port = channel.localAddress?.port ?? 0
    try await channel.close()
    return port
}
