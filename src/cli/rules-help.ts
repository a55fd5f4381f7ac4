/** The help text of `gatehouse rules`. */
export const rulesHelp = `Usage: gatehouse rules test [FILES…] [--config FILE]
       gatehouse rules explain --config FILE --url URL [--method M] [--user U] [--groups a,b]
                               [--ip IP] [--client ID] [--level none|one_factor|two_factor]

test     runs the 'tests:' cases of policy files (rules/*.yml). With --config, the cases run
         against the configuration's rules (FILES default to its access_control.rules_files);
         without it, each file's rules run alone with default_policy 'deny'. Prints each failed
         case with the expected and actual result and the rule that decided; exits 1 if any failed.
explain  prints every rule of the configuration with the first criterion that did not match the
         request, the deciding rule, the policy and the outcome (allow, login or forbidden).
         --level defaults to two_factor for a user, one_factor for a client alone, else none.

Options:
  -c, --config FILE   a configuration file or folder; repeat it, or list FILE,FILE, to merge
                      several in order (default: $GATEHOUSE_CONFIG or $X_AUTHELIA_CONFIG)
  -h, --help          show this help
`;
