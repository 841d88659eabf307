// swift-tools-version:6.1
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("NonisolatedNonsendingByDefault"),
]

let package = Package(
    name: "hsmsync",
    products: [
        .executable(name: "hsmsync", targets: ["hsmsync"]),
        .library(name: "PKCS11", targets: ["PKCS11"]),
        .library(name: "HSMSyncCore", targets: ["HSMSyncCore"]),
        .library(name: "PKCS11Endpoint", targets: ["PKCS11Endpoint"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/vapor/sql-kit", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit", from: "2.17.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CPKCS11",
            pkgConfig: "p11-kit-1",
            providers: [.apt(["libp11-kit-dev"])]
        ),
        .target(
            name: "CryptokiNames",
            swiftSettings: strictSettings
        ),
        .target(
            name: "SecureMemory",
            swiftSettings: strictSettings
        ),
        .target(
            name: "PKCS11",
            dependencies: ["CPKCS11", "CryptokiNames", "SecureMemory"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "HSMSyncModel",
            dependencies: [
                "CryptokiNames",
                "SecureMemory",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "SignedLog",
            dependencies: [
                "HSMSyncModel",
                "SecureMemory",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "SLIP39",
            dependencies: [
                "HSMSyncModel",
                "SecureMemory",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "HSMSyncCore",
            dependencies: [
                "HSMSyncModel",
                "SignedLog",
                "SLIP39",
                "SecureMemory",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "PKCS11Endpoint",
            dependencies: [
                "HSMSyncModel",
                "SignedLog",
                "SLIP39",
                "PKCS11",
                "SecureMemory",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "HSMSyncService",
            dependencies: [
                "HSMSyncCore",
                "HSMSyncModel",
                "SignedLog",
                "SecureMemory",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "hsmsync",
            dependencies: [
                "HSMSyncCore",
                "HSMSyncService",
                "HSMSyncModel",
                "SignedLog",
                "SLIP39",
                "PKCS11Endpoint",
                "SecureMemory",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "hsmsync-demo-ca",
            dependencies: [
                "HSMSyncCore",
                "HSMSyncModel",
                "SignedLog",
                "SLIP39",
                "PKCS11",
                "PKCS11Endpoint",
                "SecureMemory",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "hsmsync-logstress",
            dependencies: ["HSMSyncCore", "HSMSyncModel", "SignedLog"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "HSMSyncTesting",
            dependencies: [
                "PKCS11",
                "HSMSyncCore",
                "PKCS11Endpoint",
                "HSMSyncModel",
                "SignedLog",
                "SLIP39",
                "SecureMemory",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PKCS11IntegrationTests",
            dependencies: [
                "PKCS11",
                "SecureMemory",
                "HSMSyncTesting",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HSMSyncCoreTests",
            dependencies: [
                "HSMSyncCore",
                "PKCS11Endpoint",
                "HSMSyncModel",
                "SignedLog",
                "SLIP39",
                "PKCS11",
                "SecureMemory",
                "HSMSyncTesting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            exclude: ["Fixtures"],  // read from the source tree (#filePath), not bundled
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "hsmsyncTests",
            dependencies: [
                "hsmsync", "hsmsync-logstress", "HSMSyncCore", "PKCS11Endpoint", "HSMSyncModel", "SignedLog", "SLIP39",
                "HSMSyncTesting", "HSMSyncService",
                "SecureMemory",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
    ]
)
