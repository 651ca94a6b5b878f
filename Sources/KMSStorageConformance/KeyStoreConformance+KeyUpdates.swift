import KMSCore
import KMSStorage
import Testing

/// Conformance checks for the changes a key goes through after it is created: its state,
/// its description and its tags.
extension KeyStoreConformance {
    static func updatesStateAndDescription(_ store: any KeyStore) async throws {
        let (key, version) = TestKeys.make(description: "before", tags: ["team": "payments"])
        let (bystander, bystanderVersion) = TestKeys.make(description: "bystander")
        try await store.createKey(key, firstVersion: version)
        try await store.createKey(bystander, firstVersion: bystanderVersion)
        let id = key.metadata.keyID
        var expected = key

        for (enabled, changes) in [(false, true), (false, false), (true, true), (true, false), (false, true)] {
            #expect(try await store.setKeyEnabled(id, enabled: enabled) == changes)
            expected.metadata.keyState = enabled ? .enabled : .disabled
            #expect(try await store.key(id) == expected)
        }
        for description in ["after 🔑\nwith a second line", ""] {
            try await store.updateDescription(id, description: description)
            expected.metadata.description = description
            #expect(try await store.key(id) == expected)
        }

        await #expect(throws: KMSError(.validation, "")) {
            try await store.updateDescription(id, description: "nul\u{0}inside")
        }
        let missing = KeyID.random()
        await #expect(throws: KMSError(.keyNotFound, "")) { try await store.setKeyEnabled(missing, enabled: false) }
        await #expect(throws: KMSError(.keyNotFound, "")) { try await store.updateDescription(missing, description: "x") }
        #expect(try await store.key(id) == expected)
        #expect(try await store.key(bystander.metadata.keyID) == bystander)
        #expect(try await store.key(missing) == nil)
    }

    static func tagKeyMergesAndReplaces(_ store: any KeyStore) async throws {
        let (key, version) = TestKeys.make(tags: ["team": "payments", "env": "dev"])
        let (bystander, bystanderVersion) = TestKeys.make(tags: ["env": "dev"])
        try await store.createKey(key, firstVersion: version)
        try await store.createKey(bystander, firstVersion: bystanderVersion)
        let id = key.metadata.keyID
        let merged = ["team": "payments", "env": "prod", "owner": "alice"]

        try await store.tagKey(id, tags: ["env": "prod", "owner": "alice"], maxTags: 50)
        #expect(try await store.key(id)?.tags == merged)
        try await store.tagKey(id, tags: [:], maxTags: 50)
        #expect(try await store.key(id)?.tags == merged)

        await #expect(throws: KMSError(.validation, "")) {
            try await store.tagKey(id, tags: ["fine": "ok", "env": "nul\u{0}inside"], maxTags: 50)
        }
        await #expect(throws: KMSError(.keyNotFound, "")) {
            try await store.tagKey(KeyID.random(), tags: ["env": "prod"], maxTags: 50)
        }
        #expect(try await store.key(id)?.tags == merged)
        #expect(try await store.key(bystander.metadata.keyID) == bystander)
    }

    static func tagKeyRefusesMoreThanMaxTags(_ store: any KeyStore) async throws {
        let original = ["a": "1", "b": "2", "c": "3"]
        let (key, version) = TestKeys.make(tags: original)
        try await store.createKey(key, firstVersion: version)
        let id = key.metadata.keyID

        await #expect(throws: KMSError(.limitExceeded, "")) {
            try await store.tagKey(id, tags: ["a": "replaced", "d": "4", "e": "5"], maxTags: 4)
        }
        #expect(try await store.key(id)?.tags == original)

        // Replacing a tag's value does not count as another tag: this ends at exactly 4.
        try await store.tagKey(id, tags: ["a": "replaced", "d": "4"], maxTags: 4)
        let atLimit = ["a": "replaced", "b": "2", "c": "3", "d": "4"]
        #expect(try await store.key(id)?.tags == atLimit)
        try await store.tagKey(id, tags: ["b": "two"], maxTags: 4)
        let replaced = ["a": "replaced", "b": "two", "c": "3", "d": "4"]
        #expect(try await store.key(id)?.tags == replaced)

        await #expect(throws: KMSError(.limitExceeded, "")) {
            try await store.tagKey(id, tags: ["c": "three", "e": "5"], maxTags: 4)
        }
        #expect(try await store.key(id)?.tags == replaced)
    }

    static func untagKeyIgnoresUnknownTagKeys(_ store: any KeyStore) async throws {
        let (key, version) = TestKeys.make(tags: ["a": "1", "b": "2", "c": "3"])
        let (bystander, bystanderVersion) = TestKeys.make(tags: ["a": "1"])
        try await store.createKey(key, firstVersion: version)
        try await store.createKey(bystander, firstVersion: bystanderVersion)
        let id = key.metadata.keyID

        try await store.untagKey(id, tagKeys: ["a", "unknown", "a"])
        #expect(try await store.key(id)?.tags == ["b": "2", "c": "3"])
        // Tag keys are case-sensitive and matched whole, NUL characters included.
        try await store.untagKey(id, tagKeys: [])
        try await store.untagKey(id, tagKeys: ["B", "b\u{0}", "b\u{0}suffix", ""])
        #expect(try await store.key(id)?.tags == ["b": "2", "c": "3"])

        await #expect(throws: KMSError(.keyNotFound, "")) {
            try await store.untagKey(KeyID.random(), tagKeys: ["b"])
        }
        try await store.untagKey(id, tagKeys: ["b", "c"])
        #expect(try await store.key(id)?.tags == [:])
        #expect(try await store.key(bystander.metadata.keyID) == bystander)
    }
}
