import Testing

@testable import DHRPC

@Suite("State machines: random conversations between two well-behaved peers")
struct ModelTests {
    /// What one side's application knows about its calls.
    struct Side {
        var open: Set<UInt32> = []
        var sendClosed: Set<UInt32> = []
        var headersSent: Set<UInt32> = []
        var messageSent: Set<UInt32> = []
        var unconsumed: [(UInt32, Int)] = []
        var closedCount: [UInt32: Int] = [:]
        var seen = 0
    }

    @Test("no connection error, every call closes exactly once on each side, buffers stay bounded", arguments: Array(1...12) as [UInt64])
    func randomConversation(seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        var clientConfig = RPCConnectionConfiguration()
        clientConfig.initialStreamWindow = 4096
        clientConfig.initialConnectionWindow = 10_000
        clientConfig.outboundBufferLimit = 3000
        var serverConfig = RPCConnectionConfiguration()
        serverConfig.initialStreamWindow = 2048
        serverConfig.maxConcurrentStreams = 5
        serverConfig.outboundBufferLimit = 5000
        var link = Link(client: clientConfig, server: serverConfig)
        link.connect()
        var client = Side()
        var server = Side()
        var started: [UInt32] = []

        func update(_ side: inout Side, _ events: [Action]) {
            for event in events[side.seen...] {
                switch event {
                case .callStarted(let id, _, _, _): side.open.insert(id)
                case .receivedMessage(let id, let message): side.unconsumed.append((id, message.count))
                case .callClosed(let id, _, _):
                    side.open.remove(id)
                    side.closedCount[id, default: 0] += 1
                default: break
                }
            }
            side.seen = events.count
        }

        for step in 0..<3000 {
            let choice = Int.random(in: 0..<16, using: &generator)
            let clientOpen = client.open.sorted()
            let serverOpen = server.open.sorted()
            switch choice {
            case 0:
                if link.client.canStartCall && step < 2500 {
                    let timeout: Duration? = Bool.random(using: &generator) ? nil : .milliseconds(Int.random(in: 100...20_000, using: &generator))
                    let id = try link.startCall(timeout: timeout)
                    started.append(id)
                    client.open.insert(id)
                }
            case 1, 2:
                if let id = clientOpen.randomElement(using: &generator), !client.sendClosed.contains(id), link.client.isWritable(streamID: id) {
                    let size = Int.random(in: 0...3000, using: &generator)
                    link.executeClient(try link.client.sendMessage(streamID: id, Array(repeating: 1, count: size)))
                }
            case 3:
                if let id = clientOpen.randomElement(using: &generator), !client.sendClosed.contains(id) {
                    client.sendClosed.insert(id)
                    link.executeClient(try link.client.halfClose(streamID: id))
                }
            case 4:
                if let id = clientOpen.randomElement(using: &generator), Int.random(in: 0..<4, using: &generator) == 0 {
                    link.executeClient(link.client.cancel(streamID: id))
                }
            case 5:
                if let id = serverOpen.randomElement(using: &generator), !server.headersSent.contains(id),
                    !server.messageSent.contains(id), !server.sendClosed.contains(id)
                {
                    server.headersSent.insert(id)
                    link.executeServer(try link.server.sendHeaders(streamID: id, metadata: ["x-step": .string("\(step)")]))
                }
            case 6, 7:
                if let id = serverOpen.randomElement(using: &generator), !server.sendClosed.contains(id), link.server.isWritable(streamID: id) {
                    server.messageSent.insert(id)
                    let size = Int.random(in: 0...5000, using: &generator)
                    link.executeServer(try link.server.sendMessage(streamID: id, Array(repeating: 2, count: size)))
                }
            case 8:
                if let id = serverOpen.randomElement(using: &generator), !server.sendClosed.contains(id) {
                    server.sendClosed.insert(id)
                    let code = RPCStatus.Code(wireValue: UInt8.random(in: 0...16, using: &generator))
                    link.executeServer(try link.server.sendTrailers(streamID: id, status: RPCStatus(code: code, message: "done")))
                }
            case 9:
                if let id = serverOpen.randomElement(using: &generator), Int.random(in: 0..<6, using: &generator) == 0 {
                    link.executeServer(link.server.cancel(streamID: id, status: RPCStatus(code: .aborted, message: "aborted")))
                }
            case 10, 11:
                if !client.unconsumed.isEmpty {
                    let (id, count) = client.unconsumed.removeFirst()
                    link.executeClient(link.client.messageConsumed(streamID: id, byteCount: count))
                }
                if !server.unconsumed.isEmpty {
                    let (id, count) = server.unconsumed.removeFirst()
                    link.executeServer(link.server.messageConsumed(streamID: id, byteCount: count))
                }
            case 12:
                link.advance(by: .milliseconds(Int.random(in: 0...1500, using: &generator)))
            default:
                // Deliver a random part of what is on the wire, to split frames anywhere.
                let toServer = Int.random(in: 0...link.toServer.count, using: &generator)
                let forServer = Array(link.toServer.prefix(toServer))
                link.toServer.removeFirst(toServer)
                link.executeServer(link.server.receive(forServer, now: link.now))
                let toClient = Int.random(in: 0...link.toClient.count, using: &generator)
                let forClient = Array(link.toClient.prefix(toClient))
                link.toClient.removeFirst(toClient)
                link.executeClient(link.client.receive(forClient, now: link.now))
            }
            update(&client, link.clientEvents)
            update(&server, link.serverEvents)
            for id in link.client.openStreamIDs {
                #expect(link.client.bufferedInboundBytes(streamID: id) <= 4096 + 5004)
                #expect(link.client.bufferedOutboundBytes(streamID: id) <= 3000 + 3004)
            }
            for id in link.server.openStreamIDs {
                #expect(link.server.bufferedInboundBytes(streamID: id) <= 2048 + 3004)
                #expect(link.server.bufferedOutboundBytes(streamID: id) <= 5000 + 5004)
            }
            #expect(!link.client.isClosed && !link.server.isClosed)
            if link.client.isClosed || link.server.isClosed { break }
        }
        // Wind down: consume everything, cancel what is left, let the wire settle.
        for _ in 0..<1000 where !(link.client.openStreamIDs.isEmpty && link.server.openStreamIDs.isEmpty) {
            for (id, count) in client.unconsumed { link.executeClient(link.client.messageConsumed(streamID: id, byteCount: count)) }
            for (id, count) in server.unconsumed { link.executeServer(link.server.messageConsumed(streamID: id, byteCount: count)) }
            client.unconsumed = []
            server.unconsumed = []
            for id in link.client.openStreamIDs { link.executeClient(link.client.cancel(streamID: id)) }
            link.pump()
            update(&client, link.clientEvents)
            update(&server, link.serverEvents)
        }
        link.executeServer(link.server.beginShutdown())
        link.pump()
        #expect(link.server.isClosed && link.client.isClosed)
        #expect(link.encodingFailures.isEmpty)
        for frame in link.clientFrames + link.serverFrames {
            if case .goaway(_, let code, let reason) = frame { #expect(code == .noError, "\(reason)") }
        }
        #expect(started.count > 10)
        // The conversation really exercised delivery and back-pressure.
        #expect(link.clientEvents.messages.count > 20 && link.serverEvents.messages.count > 20)
        let writableAgain = (link.clientEvents + link.serverEvents).filter { if case .streamWritable = $0 { true } else { false } }
        #expect(!writableAgain.isEmpty)
        let deadlines = link.clientEvents.closedStatuses.values.filter { $0.code == .deadlineExceeded }
        #expect(!deadlines.isEmpty)
        for id in started { #expect(client.closedCount[id] == 1, "client stream \(id)") }
        #expect(server.closedCount.values.allSatisfy { $0 == 1 })
        #expect(client.open.isEmpty && server.open.isEmpty)
    }
}
