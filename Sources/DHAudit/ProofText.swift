public import DHTLS

/// An inclusion proof as a third party receives it: the entry, its position, the audit path
/// and, when the log has one, the signed head it proves into. Its text form (docs/AUDIT.md):
///
/// ```
/// dh-inclusion-proof/1
/// index 13
/// tree-size 40
/// leaf-hash 5f2c…            SHA-256(0x00 ‖ entry), hex
/// entry 0100…                the canonical entry bytes, hex (optional)
/// path 9a41…                 one line per audit-path hash, leaf to root
/// head dh-sth/1 40 …         a signed head of size tree-size (optional)
/// ```
///
/// Lines are `key value`; blank lines and lines starting with `#` are ignored.
public struct InclusionProofDocument: Sendable, Hashable {
    public static let header = "dh-inclusion-proof/1"

    public var index: UInt64
    public var treeSize: UInt64
    public var leafHash: SHA256Digest
    public var entry: [UInt8]?
    public var path: [SHA256Digest]
    public var head: SignedTreeHead?

    public init(
        index: UInt64, treeSize: UInt64, leafHash: SHA256Digest, entry: [UInt8]?, path: [SHA256Digest],
        head: SignedTreeHead?
    ) {
        self.index = index
        self.treeSize = treeSize
        self.leafHash = leafHash
        self.entry = entry
        self.path = path
        self.head = head
    }

    public var text: String {
        var lines = [Self.header, "index \(index)", "tree-size \(treeSize)", "leaf-hash \(leafHash.hex)"]
        if let entry { lines.append("entry " + Hex.encode(entry)) }
        lines += path.map { "path \($0.hex)" }
        if let head { lines.append("head " + head.text) }
        return lines.joined(separator: "\n") + "\n"
    }

    public init(text: String) throws(AuditError) {
        let fields = try ProofFields(text: text, header: Self.header)
        index = try fields.integer("index")
        treeSize = try fields.integer("tree-size")
        leafHash = try fields.digest("leaf-hash")
        entry = try fields.optionalBytes("entry")
        path = try fields.digests("path")
        head = try fields.optionalHead("head")
        try fields.rejectUnknown(["index", "tree-size", "leaf-hash", "entry", "path", "head"])
    }

    /// Checks the proof offline: `head` (or the document's own head) must be signed by
    /// `publicKey` and be of size ``treeSize``; the entry, when present, must hash to
    /// ``leafHash``; the path must lead from the leaf to the head's root.
    ///
    /// - Returns: the head the entry was proven into.
    /// - Throws: ``AuditError`` `treeHeadInvalid` or `proofInvalid`.
    @discardableResult
    public func verify(publicKey: PublicKey, head given: SignedTreeHead? = nil) throws(AuditError) -> SignedTreeHead {
        let head = try checkedHead(given ?? head, size: treeSize, publicKey: publicKey, role: "")
        if let entry, MerkleHash.leaf(entry) != leafHash {
            throw AuditError(code: .proofInvalid, message: "the entry does not hash to the proof's leaf hash")
        }
        guard index < treeSize, treeSize <= UInt64(Int.max),
            MerkleProof.verifyInclusion(
                leafHash: leafHash, leafIndex: Int(index), treeSize: Int(treeSize), proof: path,
                rootHash: head.head.rootHash)
        else {
            throw AuditError(
                code: .proofInvalid,
                message: "the path does not lead from entry \(index) to the signed root of size \(treeSize)")
        }
        return head
    }
}

/// A consistency proof: the tree of `newSize` extends the tree of `oldSize`. Its text form:
///
/// ```
/// dh-consistency-proof/1
/// old-size 16
/// new-size 40
/// path 9a41…                 one line per proof hash, in RFC 9162 order
/// old-head dh-sth/1 16 …     signed heads of both sizes (optional)
/// new-head dh-sth/1 40 …
/// ```
public struct ConsistencyProofDocument: Sendable, Hashable {
    public static let header = "dh-consistency-proof/1"

    public var oldSize: UInt64
    public var newSize: UInt64
    public var path: [SHA256Digest]
    public var oldHead: SignedTreeHead?
    public var newHead: SignedTreeHead?

    public init(
        oldSize: UInt64, newSize: UInt64, path: [SHA256Digest], oldHead: SignedTreeHead?, newHead: SignedTreeHead?
    ) {
        self.oldSize = oldSize
        self.newSize = newSize
        self.path = path
        self.oldHead = oldHead
        self.newHead = newHead
    }

    public var text: String {
        var lines = [Self.header, "old-size \(oldSize)", "new-size \(newSize)"]
        lines += path.map { "path \($0.hex)" }
        if let oldHead { lines.append("old-head " + oldHead.text) }
        if let newHead { lines.append("new-head " + newHead.text) }
        return lines.joined(separator: "\n") + "\n"
    }

    public init(text: String) throws(AuditError) {
        let fields = try ProofFields(text: text, header: Self.header)
        oldSize = try fields.integer("old-size")
        newSize = try fields.integer("new-size")
        path = try fields.digests("path")
        oldHead = try fields.optionalHead("old-head")
        newHead = try fields.optionalHead("new-head")
        try fields.rejectUnknown(["old-size", "new-size", "path", "old-head", "new-head"])
    }

    /// Checks the proof offline against two heads signed by `publicKey` (given, or the
    /// document's own).
    ///
    /// - Throws: ``AuditError`` `treeHeadInvalid` or `proofInvalid`.
    public func verify(
        publicKey: PublicKey, oldHead givenOld: SignedTreeHead? = nil, newHead givenNew: SignedTreeHead? = nil
    ) throws(AuditError) {
        let old = try checkedHead(givenOld ?? oldHead, size: oldSize, publicKey: publicKey, role: "old ")
        let new = try checkedHead(givenNew ?? newHead, size: newSize, publicKey: publicKey, role: "new ")
        guard newSize <= UInt64(Int.max),
            MerkleProof.verifyConsistency(
                oldSize: Int(oldSize), newSize: Int(newSize), oldRoot: old.head.rootHash, newRoot: new.head.rootHash,
                proof: path)
        else {
            throw AuditError(
                code: .proofInvalid, message: "the tree of size \(newSize) does not extend the tree of size \(oldSize)")
        }
    }
}

private func checkedHead(
    _ head: SignedTreeHead?, size: UInt64, publicKey: PublicKey, role: String
) throws(AuditError) -> SignedTreeHead {
    guard let head else {
        throw AuditError(code: .treeHeadInvalid, message: "no \(role)signed head of size \(size) to check against")
    }
    guard head.verify(with: publicKey) else {
        throw AuditError(code: .treeHeadInvalid, message: "the \(role)signed head does not verify with the log's key")
    }
    guard head.head.treeSize == size else {
        throw AuditError(
            code: .treeHeadInvalid, message: "the \(role)signed head is of size \(head.head.treeSize), not \(size)")
    }
    return head
}

/// `key value` lines after a header line.
private struct ProofFields {
    var values: [(key: String, value: String)] = []

    init(text: String, header: String) throws(AuditError) {
        var sawHeader = false
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingSpaces()
            if line.isEmpty || line.hasPrefix("#") { continue }
            if !sawHeader {
                guard line == header else {
                    throw AuditError(code: .proofInvalid, message: "the proof does not start with '\(header)'")
                }
                sawHeader = true
                continue
            }
            guard let space = line.firstIndex(of: " ") else {
                throw AuditError(code: .proofInvalid, message: "proof line '\(line.prefix(40))' has no value")
            }
            values.append((String(line[..<space]), String(line[line.index(after: space)...]).trimmingSpaces()))
        }
        guard sawHeader else { throw AuditError(code: .proofInvalid, message: "the proof is empty") }
    }

    private func all(_ key: String) -> [String] { values.filter { $0.key == key }.map(\.value) }

    private func single(_ key: String) throws(AuditError) -> String? {
        let found = all(key)
        guard found.count <= 1 else { throw AuditError(code: .proofInvalid, message: "'\(key)' appears twice") }
        return found.first
    }

    private func required(_ key: String) throws(AuditError) -> String {
        guard let value = try single(key) else { throw AuditError(code: .proofInvalid, message: "no '\(key)' line") }
        return value
    }

    func integer(_ key: String) throws(AuditError) -> UInt64 {
        guard let value = UInt64(try required(key)) else {
            throw AuditError(code: .proofInvalid, message: "'\(key)' is not a number")
        }
        return value
    }

    func digest(_ key: String) throws(AuditError) -> SHA256Digest {
        guard let value = SHA256Digest(hex: try required(key)) else {
            throw AuditError(code: .proofInvalid, message: "'\(key)' is not a 64-digit hex hash")
        }
        return value
    }

    func digests(_ key: String) throws(AuditError) -> [SHA256Digest] {
        var result: [SHA256Digest] = []
        for text in all(key) {
            guard let value = SHA256Digest(hex: text) else {
                throw AuditError(code: .proofInvalid, message: "a '\(key)' line is not a 64-digit hex hash")
            }
            result.append(value)
        }
        return result
    }

    func optionalBytes(_ key: String) throws(AuditError) -> [UInt8]? {
        guard let text = try single(key) else { return nil }
        guard let bytes = Hex.decode(text) else {
            throw AuditError(code: .proofInvalid, message: "'\(key)' is not lower-case hex")
        }
        return bytes
    }

    func optionalHead(_ key: String) throws(AuditError) -> SignedTreeHead? {
        guard let text = try single(key) else { return nil }
        return try SignedTreeHead(text: text)
    }

    func rejectUnknown(_ known: Set<String>) throws(AuditError) {
        if let unknown = values.first(where: { !known.contains($0.key) }) {
            throw AuditError(code: .proofInvalid, message: "unknown proof line '\(unknown.key)'")
        }
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" || first == "\r" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" || last == "\r" { scalars.removeLast() }
        return String(scalars)
    }
}
