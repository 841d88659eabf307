import HSMSyncModel
import SignedLog
import Testing

@testable import HSMSyncCore

@Suite("tlog-policy")
struct WitnessPolicyTests {
    static func witnessKey(_ name: String) throws -> VerifierKey {
        try NotePrivateKey.generate(name: name, type: .cosignatureV1).verifierKey
    }

    @Test("groups, thresholds and the quorum")
    func quorum() throws {
        let log = try NotePrivateKey.generate(name: "log.example/p").verifierKey
        let keys = try ["CO1", "CO2", "CO3", "IW1"].map { try Self.witnessKey("w.example/\($0)") }
        let text = """
            # ceremony policy
            log \(log)
            witness CO1 \(keys[0])
            witness CO2 \(keys[1])\thttps://w.example/co2
            witness CO3 \(keys[2])
            witness IW1 \(keys[3])
            group cos 2 CO1 CO2 CO3
            group close all IW1 cos
            quorum close

            """
        let policy = try WitnessPolicy(parsing: Array(text.utf8))
        #expect(policy.logs == [log])
        #expect(policy.witnesses.count == 4 && policy.witnesses[1].url == "https://w.example/co2")
        #expect(policy.isSatisfied(byWitnesses: ["IW1", "CO1", "CO3"]))
        #expect(!policy.isSatisfied(byWitnesses: ["IW1", "CO1"]))
        #expect(!policy.isSatisfied(byWitnesses: ["CO1", "CO2", "CO3"]))
        #expect(try WitnessPolicy(parsing: Array("quorum none\n".utf8)).isSatisfied(byWitnesses: []))
    }

    @Test("grammar errors name the line")
    func errors() throws {
        let key = try Self.witnessKey("w.example/a")
        let other = try Self.witnessKey("w.example/b")
        for (text, line) in [
            ("witness A \(key)\n", 0),  // no quorum
            ("quorum A\n", 1),
            ("witness A \(key)\ngroup g 3 A\nquorum g\n", 2),
            ("witness A \(key)\ngroup g 0 A\nquorum g\n", 2),
            ("witness A \(key)\ngroup g any A A\nquorum g\n", 2),
            ("witness A \(key)\nwitness A \(other)\nquorum A\n", 2),
            ("witness A \(key)\nwitness B \(key)\nquorum A\n", 2),
            ("witness none \(key)\nquorum none\n", 1),
            ("quorum none\nquorum none\n", 2),
            ("witnesses A \(key)\nquorum none\n", 1),
            ("log \(key)\nquorum none\n", 1),
            ("quorum none\r\n", 1),
        ] {
            let error = #expect(throws: PolicyFormatError.self, "\(text)") {
                try WitnessPolicy(parsing: Array(text.utf8))
            }
            #expect(error?.line == line, "\(text)")
        }
    }
}
