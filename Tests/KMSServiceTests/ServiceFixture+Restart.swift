/// Runs `before` against a fresh fixture, restarts it (same files, same root key), runs
/// `after` against the restarted one, and always closes the stores, even when a step fails.
func withRestartedService(
    _ before: (ServiceFixture) async throws -> Void,
    then after: (ServiceFixture) async throws -> Void
) async throws {
    let fixture = try await ServiceFixture()
    let restarted: ServiceFixture
    do {
        try await before(fixture)
        restarted = try await fixture.restarted()
    } catch {
        await fixture.close()
        throw error
    }
    do {
        try await after(restarted)
    } catch {
        await restarted.close()
        throw error
    }
    await restarted.close()
}
