import KMSWorkloadAPI
import Testing

@Suite("WorkloadAPIEndpoint and ReconnectBackoff")
struct WorkloadAPIEndpointTests {
    @Test(
        "unix URIs and plain paths name the socket",
        arguments: [
            ("unix:///run/spire/agent.sock", "/run/spire/agent.sock"),
            ("unix:/run/spire/agent.sock", "/run/spire/agent.sock"),
            ("UNIX:///tmp/a.sock", "/tmp/a.sock"),
            ("unix:///tmp/with%20space.sock", "/tmp/with space.sock"),
            ("/run/spire/agent.sock", "/run/spire/agent.sock"),
            ("agent.sock", "agent.sock"),
        ]
    )
    func parses(address: String, path: String) throws {
        #expect(try WorkloadAPIEndpoint(parsing: address).socketPath == path)
    }

    @Test(
        "other schemes, hosts, relative URI paths, queries and fragments are refused",
        arguments: [
            "", "tcp://127.0.0.1:8081", "unix://agent/run/agent.sock", "unix:agent.sock", "unix://",
            "unix:///", "unix:///tmp/a.sock?x=1", "unix:///tmp/a.sock#f", "http:///tmp/a.sock",
        ]
    )
    func refuses(address: String) {
        #expect(throws: WorkloadAPIError(.invalidAddress, "")) {
            try WorkloadAPIEndpoint(parsing: address)
        }
    }

    @Test("SPIFFE_ENDPOINT_SOCKET names the endpoint")
    func environment() throws {
        #expect(try WorkloadAPIEndpoint.fromEnvironment([:]) == nil)
        let endpoint = try WorkloadAPIEndpoint.fromEnvironment(["SPIFFE_ENDPOINT_SOCKET": "unix:///run/agent.sock"])
        #expect(endpoint?.socketPath == "/run/agent.sock")
        #expect(endpoint?.description == "unix:///run/agent.sock")
        #expect(throws: WorkloadAPIError.self) {
            try WorkloadAPIEndpoint.fromEnvironment(["SPIFFE_ENDPOINT_SOCKET": "tcp://127.0.0.1:1"])
        }
    }

    @Test("the standard backoff doubles from 100 ms and stops at 5 s")
    func backoff() {
        let backoff = ReconnectBackoff.standard
        let delays = (1...9).map { backoff.delay(afterFailures: $0) }
        #expect(delays == [
            .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .milliseconds(1600),
            .milliseconds(3200), .seconds(5), .seconds(5), .seconds(5),
        ])
        #expect(backoff.delay(afterFailures: 0) == .milliseconds(100))
        #expect(backoff.delay(afterFailures: 10_000) == .seconds(5))
    }
}
