import DHRPC

/// One fuzzing input for the frame decoder and the connection state machines.
///
/// Checks, and traps on a violation (which is how a fuzzer learns of it):
/// - decoding never traps, whatever the bytes;
/// - the frames and the error are the same whether the input arrives at once or in pieces;
/// - every decoded frame re-encodes to as many bytes as it came from, and decodes back to itself;
/// - a client (which starts calls as soon as it can) and a server state machine fed the bytes
///   never trap, every frame they ask to send
///   encodes, and once closed they do nothing more.
public func fuzzFrameDecoder(_ data: [UInt8]) {
    let maxFrameSize = FrameLayout.minimumMaxFrameSize

    // At once.
    var whole = FrameDecoder(maxFrameSize: maxFrameSize)
    whole.append(data)
    var frames: [Frame] = []
    var failure: RPCConnectionError?
    do {
        while let frame = try whole.next() { frames.append(frame) }
    } catch {
        failure = error
    }

    // In pieces whose sizes come from the data itself.
    var pieces = FrameDecoder(maxFrameSize: maxFrameSize)
    var pieceFrames: [Frame] = []
    var pieceFailure: RPCConnectionError?
    var offset = 0
    var index = 0
    feeding: while offset < data.count {
        let size = min(data.count - offset, Int(data[index % data.count] % 13) + 1)
        index += 1
        pieces.append(data[offset..<offset + size])
        offset += size
        do {
            while let frame = try pieces.next() { pieceFrames.append(frame) }
        } catch {
            pieceFailure = error
            break feeding
        }
    }
    precondition(pieceFrames == frames, "frames differ between whole and split input")
    precondition(pieceFailure == failure, "errors differ between whole and split input")

    // Re-encoding: the same length as the input it came from, and it decodes to the same frames.
    // (Not always the same bytes: unknown status and error codes decode to UNKNOWN / INTERNAL_ERROR.)
    var encoded: [UInt8] = []
    for frame in frames {
        do {
            try FrameEncoder.encode(frame, into: &encoded)
        } catch {
            preconditionFailure("a decoded frame does not encode: \(error)")
        }
    }
    if failure == nil { precondition(encoded.count == data.count - whole.bufferedByteCount, "re-encoded length differs") }
    do {
        let again = try FrameDecoder.decodeAll(encoded)
        precondition(again == frames, "re-encoded frames decode differently")
    } catch {
        preconditionFailure("re-encoded frames do not decode: \(error)")
    }

    // The state machines, on both sides of a connection that has started.
    for role in [RPCConnectionStateMachine.Role.server, .client] {
        var machine = RPCConnectionStateMachine(role: role)
        var actions = machine.start(now: .zero)
        var time = RPCInstant.zero
        var position = 0
        var step = 0
        while position < data.count {
            let size = min(data.count - position, Int(data[step % data.count] % 29) + 1)
            step += 1
            time = time.advanced(by: .milliseconds(Int(data[position]) * 10))
            actions += machine.receive(data[position..<position + size], now: time)
            if role == .client && machine.canStartCall && machine.openStreamIDs.count < 3,
                let (id, started) = try? machine.startCall(path: "/fuzz.Service/Call", timeout: .seconds(1), now: time)
            {
                actions += started
                if let sent = try? machine.sendMessage(streamID: id, [1, 2, 3], endStream: true) { actions += sent }
            }
            actions += machine.tick(now: time)
            for id in machine.openStreamIDs { actions += machine.messageConsumed(streamID: id, byteCount: 1) }
            position += size
        }
        for action in actions {
            if case .send(let frame) = action {
                do { _ = try FrameEncoder.encode(frame) } catch { preconditionFailure("a frame to send does not encode: \(error)") }
            }
        }
        if machine.isClosed {
            precondition(machine.receive([0, 0, 0, 0, 7, 0, 0, 0, 0, 0], now: time).isEmpty, "a closed machine acted")
        }
        _ = machine.transportClosed()
    }
}
