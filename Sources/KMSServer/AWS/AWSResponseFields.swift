import Foundation
import KMSCore
import KMSProto
import KMSService
import SwiftProtobuf

/// The parts of AWS responses that several operations share: key metadata, pages, tags.
extension AWSResourceNames {
    /// AWS's `KeyMetadata` of a key. Keys here are all customer managed, made by this server
    /// (`Origin: AWS_KMS`), in one region.
    func keyMetadata(_ metadata: Kms_V1_KeyMetadata) -> AWSJSON {
        var object: [String: AWSJSON] = [
            "AWSAccountId": .string(accountID),
            "KeyId": .string(metadata.keyID),
            "Arn": .string(keyARN(metadata.keyID)),
            "CreationDate": .date(metadata.creationTime.date),
            "Enabled": .bool(metadata.keyState == .enabled),
            "Description": .string(metadata.description_p),
            "Origin": .string("AWS_KMS"),
            "KeyManager": .string("CUSTOMER"),
            "MultiRegion": .bool(false),
        ]
        object["KeyUsage"] = AWSNames.keyUsages.name(of: metadata.keyUsage).map(AWSJSON.string)
        object["KeyState"] = AWSNames.keyStates.name(of: metadata.keyState).map(AWSJSON.string)
        if let spec = AWSNames.keySpecs.name(of: metadata.keySpec) {
            object["KeySpec"] = .string(spec)
            object["CustomerMasterKeySpec"] = .string(spec)
        }
        if metadata.hasDeletionTime {
            object["DeletionDate"] = .date(metadata.deletionTime.date)
        }
        object["EncryptionAlgorithms"] = Self.names(metadata.encryptionAlgorithms, AWSNames.encryptionAlgorithms)
        object["SigningAlgorithms"] = Self.names(metadata.signingAlgorithms, AWSNames.signingAlgorithms)
        object["MacAlgorithms"] = Self.names(metadata.macAlgorithms, AWSNames.macAlgorithms)
        return .object(object)
    }

    /// A list of enum values by their AWS names; `nil` (left out) when empty.
    static func names<Value>(_ values: [Value], _ table: AWSNames<Value>) -> AWSJSON? {
        let names = values.compactMap(table.name(of:))
        return names.isEmpty ? nil : .strings(names)
    }
}

/// AWS's paging of list operations over the RPCs' page tokens: `Limit` is the page size,
/// `Marker` the token of the page, and a response says `Truncated` and gives `NextMarker`
/// while there is more.
enum AWSPaging {
    /// Reads `Limit` and `Marker` (the service checks the limit's range).
    static func read(_ reader: inout AWSRequestReader) throws(KMSError) -> (pageSize: Int32, pageToken: String) {
        (try reader.integer("Limit") ?? 0, try reader.string("Marker") ?? "")
    }

    /// `Truncated`, and `NextMarker` when there is a next page.
    static func fields(nextPageToken: String) -> [String: AWSJSON] {
        nextPageToken.isEmpty ? ["Truncated": .bool(false)] : ["Truncated": .bool(true), "NextMarker": .string(nextPageToken)]
    }
}

/// AWS's tags, a list of `{"TagKey": …, "TagValue": …}`, over the RPCs' tag maps.
enum AWSTags {
    /// Reads `Tags`.
    ///
    /// - Throws: `.validation` for a tag that is not an object of two strings, or a key
    ///   given twice.
    static func read(_ reader: inout AWSRequestReader) throws(KMSError) -> [String: String] {
        var tags: [String: String] = [:]
        for tag in try reader.objectList("Tags") {
            guard tag.count == 2, case .string(let key)? = tag["TagKey"], case .string(let value)? = tag["TagValue"] else {
                throw KMSError(.validation, "each of Tags must be an object with the strings TagKey and TagValue")
            }
            guard tags.updateValue(value, forKey: key) == nil else {
                throw KMSError(.validation, "Tags has the TagKey '\(key)' more than once")
            }
        }
        return tags
    }

    /// AWS's name for a refused tag: `TagException` when a tag key is reserved (the service
    /// refuses it with `VALIDATION`).
    static func exceptionName(reason: String?, tagKeys: some Sequence<String>) -> String? {
        guard reason == KMSError.Code.validation.reason,
              tagKeys.contains(where: { $0.hasPrefix(KeyManagementService.reservedTagKeyPrefix) }) else { return nil }
        return "TagException"
    }

    /// The tags as AWS lists them, sorted by key.
    static func json(_ tags: [String: String]) -> [AWSJSON] {
        tags.sorted { $0.key < $1.key }.map { .object(["TagKey": .string($0.key), "TagValue": .string($0.value)]) }
    }
}
