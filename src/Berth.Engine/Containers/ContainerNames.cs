namespace Berth.Engine.Containers;

/// <summary>Names for containers the user did not name: adjective_noun from Berth's own harbour-side lists.</summary>
public static class ContainerNames
{
    private static readonly string[] s_adjectives =
    [
        "amber", "brave", "brisk", "calm", "clever", "coastal", "crisp", "daring", "deep", "eager", "fair", "fleet",
        "gentle", "glad", "golden", "hardy", "humble", "jolly", "keen", "kind", "lively", "loyal", "lucky", "merry",
        "misty", "nimble", "noble", "patient", "plucky", "proud", "quick", "quiet", "rapid", "salty", "serene", "sharp",
        "silver", "steady", "stout", "sunny", "swift", "tidal", "trusty", "vivid", "wise", "witty", "young", "zesty",
    ];

    private static readonly string[] s_nouns =
    [
        "anchor", "bay", "beacon", "bollard", "bow", "buoy", "cabin", "capstan", "cargo", "channel", "compass", "cove",
        "crane", "current", "deck", "dock", "dory", "ferry", "fjord", "galley", "gull", "harbor", "hawser", "helm",
        "hull", "inlet", "jetty", "keel", "ketch", "lagoon", "lantern", "lighthouse", "mast", "mooring", "oar", "pier",
        "pilot", "quay", "reef", "rudder", "sail", "schooner", "skiff", "sloop", "tide", "tug", "wake", "wharf",
    ];

    public static string Random() =>
        s_adjectives[System.Random.Shared.Next(s_adjectives.Length)] + "_" + s_nouns[System.Random.Shared.Next(s_nouns.Length)];
}
