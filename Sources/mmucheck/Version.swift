enum MMUCheckVersion {
    static let string = "0.1.0"
}
