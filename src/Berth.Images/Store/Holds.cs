using Berth.Linux;

namespace Berth.Images.Store;

/// <summary>
/// Who uses an image: one small file per holder (a mount now, containers later) naming the image
/// id. An image with a holder is in use: removal refuses it without force, and garbage collection
/// keeps its blobs and snapshots.
/// </summary>
public sealed class Holds(string dir)
{
    public void Add(string holder, string imageId)
    {
        Directory.CreateDirectory(dir);
        RawFile.WriteAtomic(PathOf(holder), System.Text.Encoding.ASCII.GetBytes(imageId));
    }

    public void Remove(string holder) => File.Delete(PathOf(holder));

    public string? ImageOf(string holder)
    {
        try { return File.ReadAllText(PathOf(holder)).Trim(); }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }
    }

    public IEnumerable<(string Holder, string ImageId)> All()
    {
        if (!Directory.Exists(dir)) yield break;
        foreach (var f in Directory.EnumerateFiles(dir))
        {
            if (f.EndsWith(".tmp", StringComparison.Ordinal)) continue;
            string id;
            try { id = File.ReadAllText(f).Trim(); } catch (IOException) { continue; }
            yield return (Path.GetFileName(f), id);
        }
    }

    public IEnumerable<string> HoldersOf(string imageId) => All().Where(h => h.ImageId == imageId).Select(h => h.Holder);

    private string PathOf(string holder)
    {
        if (holder.Length == 0 || holder.Contains('/') || holder.StartsWith('.')) throw new ArgumentException($"bad holder name \"{holder}\"");
        return Path.Combine(dir, holder);
    }
}
