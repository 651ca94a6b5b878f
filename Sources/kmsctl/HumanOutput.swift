import Foundation
import KMSProto

/// Prints `label  value` rows with the values aligned, for human output.
func printLabelled(_ rows: [(label: String, value: String)]) {
    let width = rows.map(\.label.count).max() ?? 0
    for row in rows {
        print(row.label.padding(toLength: width + 2, withPad: " ", startingAt: 0) + row.value)
    }
}

/// Prints a key's metadata as labelled lines.
func printKeyMetadata(_ metadata: Kms_V1_KeyMetadata) {
    var rows: [(label: String, value: String)] = [
        ("KeyId", metadata.keyID),
        ("Description", metadata.description_p),
        ("KeySpec", metadata.keySpec.displayName),
        ("KeyUsage", metadata.keyUsage.displayName),
        ("KeyState", metadata.keyState.displayName),
        ("CreationDate", metadata.hasCreationTime ? metadata.creationTime.date.formatted(.iso8601) : "-"),
        ("KeyVersion", String(metadata.currentKeyVersion)),
        ("Creator", metadata.creator),
    ]
    if metadata.hasDeletionTime {
        rows.append(("DeletionDate", metadata.deletionTime.date.formatted(.iso8601)))
    }
    rows += algorithmRows(
        encryption: metadata.encryptionAlgorithms,
        signing: metadata.signingAlgorithms,
        mac: metadata.macAlgorithms
    )
    printLabelled(rows)
}

/// The labelled lines of a key's algorithms, leaving out the empty lists (a key has the
/// algorithms of its usage only).
func algorithmRows(
    encryption: [Kms_V1_EncryptionAlgorithm],
    signing: [Kms_V1_SigningAlgorithm],
    mac: [Kms_V1_MacAlgorithm]
) -> [(label: String, value: String)] {
    let rows = [
        ("EncryptionAlgorithms", displayList(encryption)),
        ("SigningAlgorithms", displayList(signing)),
        ("MacAlgorithms", displayList(mac)),
    ]
    return rows.filter { !$0.1.isEmpty }
}

/// Prints a table: `header`, then `rows`, columns separated by two spaces and padded to
/// their widest cell (except the last). Prints nothing when there are no rows.
func printTable(header: [String], rows: [[String]]) {
    guard !rows.isEmpty else { return }
    let lines = [header] + rows
    let widths = header.indices.dropLast().map { column in lines.map { $0[column].count }.max() ?? 0 }
    for line in lines {
        let padded = zip(line, widths).map { text, width in text.padding(toLength: width, withPad: " ", startingAt: 0) }
        print((padded + line.suffix(1)).joined(separator: "  "))
    }
}
