import KMSCore

/// The ARNs of this server's keys and aliases, `arn:aws:kms:<region>:<account>:key/<id>` and
/// `…:alias/<name>`, with the region and account id of `aws_compat:`. AWS clients keep key
/// ARNs (the AWS Encryption SDK writes them into its messages) and send them back, so every
/// key field of a request takes a key id, a key ARN, an alias name or an alias ARN.
struct AWSResourceNames: Sendable {
    let region: String
    let accountID: String

    init(_ settings: ServerConfiguration.AWSCompat) {
        region = settings.region
        accountID = settings.accountID
    }

    /// The ARN of the key with id `keyID`.
    func keyARN(_ keyID: String) -> String {
        "arn:aws:kms:\(region):\(accountID):key/\(keyID)"
    }

    /// The ARN of the alias `alias/NAME`.
    func aliasARN(_ aliasName: String) -> String {
        "arn:aws:kms:\(region):\(accountID):\(aliasName)"
    }

    /// What the service takes for a key field: the text itself unless it is an ARN, the key
    /// id or alias name an ARN of this server names otherwise.
    ///
    /// - Throws: `.validation` for an ARN that names no key or alias of KMS;
    ///   `.keyNotFound` for one of another region or account (not a key of this server).
    func keyReference(_ text: String, field: String) throws(KMSError) -> String {
        guard text.hasPrefix("arn:") else { return text }
        let parts = text.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[1].hasPrefix("aws"), parts[2] == "kms" else {
            throw KMSError(.validation, "\(field) is not a KMS key ARN or alias ARN")
        }
        let resource = parts[5]
        let reference: String
        if resource.hasPrefix("key/"), resource.count > 4 {
            reference = String(resource.dropFirst(4))
        } else if resource.hasPrefix("alias/"), resource.count > 6 {
            reference = String(resource)
        } else {
            throw KMSError(.validation, "\(field) is not a KMS key ARN or alias ARN")
        }
        guard parts[3] == region, parts[4] == accountID else {
            throw KMSError(
                .keyNotFound,
                "\(field) names region '\(parts[3])' and account '\(parts[4])'; this server's keys are in region '\(region)', account '\(accountID)'"
            )
        }
        return reference
    }
}
