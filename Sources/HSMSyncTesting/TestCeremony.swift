/// Ceremony files for tests.
public enum TestCeremony {
    /// A ceremony named `name` for the fleet file `fleet.yaml` beside it: master M, custodians A, B
    /// and C (2 of 3), witness W, and `steps` (the list under `steps:`, as YAML text).
    public static func script(_ name: String = "t", steps: String) -> String {
        """
        ceremony: \(name)
        version: 1
        fleet: fleet.yaml
        roles:
          master: M
          custodians: {threshold: 2, members: [A, B, C]}
          witnesses: [{name: W}]
        steps:

        """ + steps
    }
}
