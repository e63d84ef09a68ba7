namespace Berth.Images.Pull;

/// <summary>What a pull reports as it goes, per layer (Id = the layer's short digest) or for the image (Id = null).</summary>
public sealed record PullProgress(string? Id, PullStatus Status, long Current = 0, long Total = 0, string? Detail = null);

public enum PullStatus
{
    Resolved,        // the manifest is known; Detail = "tag: Pulling from repo"
    Waiting,         // "Pulling fs layer"
    AlreadyExists,   // the layer's snapshot is stored
    Downloading,     // Current/Total bytes
    Extracting,      // (same pass as downloading: reported once the stream runs)
    Verifying,       // digest checks
    Complete,        // "Pull complete"
    Done,            // Detail = "Digest: …"
}
