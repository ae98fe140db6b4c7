using System.Reflection;
using Nabla.Keras.Initializers;
using Nabla.Keras.Regularizers;

namespace Nabla.Keras.Layers;

/// <summary>
/// The base of Keras layers (<c>keras.layers.Layer</c>), written the Keras way: override <see cref="Call"/> (Keras'
/// <c>call</c>) and, to create weights from the input shape, <see cref="Build"/>; invoke a layer with
/// <see cref="Apply(Tensor, bool)"/> (Keras' <c>layer(x)</c>), which builds it on the first call. Weights are
/// <see cref="Variable"/>s made with <see cref="AddWeight"/>; layers held in fields or properties of a layer (directly
/// or in a collection) are tracked automatically, as Keras tracks attributes, so <see cref="Variables"/> and
/// <see cref="Losses"/> include theirs.
/// </summary>
/// <remarks>Floating inputs are cast to the layer's <see cref="DType"/> (Keras' autocast; Float32 by default), other dtypes
/// (indices) pass unchanged. Layers are not thread-safe while they build; once built, concurrent calls are safe when
/// <see cref="Call"/> is.</remarks>
public abstract class Layer
{
    private static readonly Dictionary<string, int> NameCounts = new();
    private readonly List<Variable> weights = new();
    private readonly List<Func<Tensor>> weightLosses = new();
    private readonly List<Tensor> callLosses = new();
    private readonly object buildGate = new();
    private volatile bool built;

    /// <summary>Sets the layer's name, trainability and dtype.</summary>
    /// <param name="name">A name; the snake_case class name with a counter when omitted (as Keras: "dense", "dense_1").</param>
    /// <param name="trainable">Whether its weights are trainable.</param>
    /// <param name="dtype">The dtype of its weights and computations (Float32 or Float64).</param>
    protected Layer(string? name = null, bool trainable = true, DType dtype = DType.Float32)
    {
        if (!dtype.IsFloat())
            throw new ArgumentException($"{GetType().Name}: dtype {dtype}; expected Float32 or Float64.", nameof(dtype));
        Name = name ?? UniqueName(SnakeCase(GetType().Name));
        Trainable = trainable;
        DType = dtype;
    }

    /// <summary>Keras' <c>to_snake_case</c>: "Conv2D" -> "conv2d", "MaxPooling2D" -> "max_pooling2d", "LeakyReLU" -> "leaky_re_lu".</summary>
    private static string SnakeCase(string s)
    {
        var t = System.Text.RegularExpressions.Regex.Replace(s, "(.)([A-Z][a-z]+)", "$1_$2");
        return System.Text.RegularExpressions.Regex.Replace(t, "([a-z])([A-Z])", "$1_$2").ToLowerInvariant();
    }

    private static string UniqueName(string prefix)
    {
        lock (NameCounts)
        {
            NameCounts.TryGetValue(prefix, out int n);
            NameCounts[prefix] = n + 1;
            return n == 0 ? prefix : $"{prefix}_{n}";
        }
    }

    /// <summary>The layer's name.</summary>
    public string Name { get; }

    /// <summary>Whether the layer's weights are listed as trainable (Keras' <c>trainable</c>; setting it to false freezes the
    /// layer and its sublayers: their weights move to <see cref="NonTrainableVariables"/>).</summary>
    public bool Trainable { get; set; }

    /// <summary>The dtype of the layer's weights and computations.</summary>
    public DType DType { get; }

    /// <summary>Whether <see cref="Build"/> has run.</summary>
    public bool Built => built;

    /// <summary>The shape of the last output <see cref="Apply(Tensor, bool)"/> returned (for <c>Summary</c>), or null.</summary>
    public IReadOnlyList<int>? OutputShape { get; private set; }

    /// <summary>Calls the layer (Keras' <c>layer(x, training=...)</c>): builds it from <paramref name="x"/>'s shape on the
    /// first call, casts floating inputs to <see cref="DType"/>, and runs <see cref="Call"/>.</summary>
    /// <param name="x">The input.</param>
    /// <param name="training">Training mode (dropout active, batch statistics used) or inference.</param>
    public Tensor Apply(Tensor x, bool training = false)
    {
        ArgumentNullException.ThrowIfNull(x);
        x = Autocast(x);
        EnsureBuilt(x.Shape);
        var y = Call(x, training) ?? throw new InvalidOperationException($"{Name}: Call returned null.");
        OutputShape = y.Shape;
        return y;
    }

    /// <summary>Casts a floating input to <see cref="DType"/>.</summary>
    private protected Tensor Autocast(Tensor x) => x.DType.IsFloat() && x.DType != DType ? TF.Cast(x, DType) : x;

    /// <summary>Runs <see cref="Build"/> once, for the first input shape.</summary>
    private protected void EnsureBuilt(IReadOnlyList<int> inputShape)
    {
        if (built) return;
        lock (buildGate)
        {
            if (built) return;
            Build(inputShape);
            built = true;
        }
    }

    /// <summary>The layer's computation (Keras' <c>call</c>).</summary>
    /// <param name="x">The input, cast to <see cref="DType"/> when floating.</param>
    /// <param name="training">Training or inference mode.</param>
    protected abstract Tensor Call(Tensor x, bool training);

    /// <summary>Creates the layer's weights for <paramref name="inputShape"/> (Keras' <c>build</c>), once, before the first
    /// <see cref="Call"/>. The default creates nothing.</summary>
    /// <param name="inputShape">The first input's shape, batch axis included.</param>
    protected virtual void Build(IReadOnlyList<int> inputShape) { }

    /// <summary>Creates a weight of this layer (Keras' <c>add_weight</c>): a <see cref="Variable"/> named
    /// "layer_name/name", initialised by <paramref name="initializer"/> in the layer's dtype.</summary>
    /// <param name="name">The weight's name within the layer.</param>
    /// <param name="shape">Its shape.</param>
    /// <param name="initializer">Its initial values (Keras' default for weights: <see cref="GlorotUniform"/>).</param>
    /// <param name="trainable">Whether an optimizer should update it (false for moving statistics).</param>
    /// <param name="regularizer">A penalty on it, added to <see cref="Losses"/>.</param>
    protected Variable AddWeight(string name, int[] shape, Initializer? initializer = null, bool trainable = true, Regularizer? regularizer = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        var init = (initializer ?? new GlorotUniform()).Call(shape, DType);
        var v = new Variable(init, trainable, $"{Name}/{name}");
        weights.Add(v);
        if (regularizer != null) weightLosses.Add(() => regularizer.Call(v.Value));
        return v;
    }

    /// <summary>Adds a loss computed during <see cref="Call"/> (Keras' <c>add_loss</c>, e.g. an activity penalty); it is part
    /// of <see cref="Losses"/> until the next top-level call clears it.</summary>
    protected void AddLoss(Tensor loss)
    {
        ArgumentNullException.ThrowIfNull(loss);
        lock (callLosses) callLosses.Add(loss);
    }

    /// <summary>Clears the losses added by calls of this layer and its sublayers (Keras clears them at each top-level call).</summary>
    public void ClearLosses()
    {
        foreach (var l in Flatten()) lock (l.callLosses) l.callLosses.Clear();
    }

    /// <summary>The regularization losses of this layer's and its sublayers' weights, computed from their current values
    /// (so a tape that records them differentiates them), followed by the losses added during calls (Keras' <c>losses</c>).</summary>
    public IReadOnlyList<Tensor> Losses
    {
        get
        {
            var all = new List<Tensor>();
            foreach (var l in Flatten()) foreach (var f in l.weightLosses) all.Add(f());
            foreach (var l in Flatten()) lock (l.callLosses) all.AddRange(l.callLosses);
            return all;
        }
    }

    /// <summary>The layers tracked by this one (fields and properties of type <see cref="Layer"/> or a collection of them),
    /// in declaration order, without duplicates; Keras' <c>_layers</c>.</summary>
    public virtual IReadOnlyList<Layer> Layers
    {
        get
        {
            var found = new List<Layer>();
            var seen = new HashSet<Layer>(ReferenceEqualityComparer.Instance) { this };
            foreach (var f in TrackedFields.GetOrAdd(GetType(), FieldsOf)) Collect(f.GetValue(this), found, seen);
            return found;
        }
    }

    /// <summary>Per layer type, the instance fields that may hold sublayers (found once by reflection; a training step
    /// lists the trainable variables every time).</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, FieldInfo[]> TrackedFields = new();

    private static FieldInfo[] FieldsOf(Type type)
    {
        var fields = new List<FieldInfo>();
        for (var t = type; t != null && t != typeof(Layer); t = t.BaseType)
            foreach (var f in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                if (f.IsDefined(typeof(System.Runtime.CompilerServices.CompilerGeneratedAttribute)) && !f.Name.Contains("k__BackingField")) continue;
                if (f.FieldType.IsPrimitive || f.FieldType == typeof(string) || f.FieldType.IsEnum) continue;
                fields.Add(f);
            }
        return fields.ToArray();
    }

    private static void Collect(object? value, List<Layer> found, HashSet<Layer> seen)
    {
        switch (value)
        {
            case Layer l:
                if (seen.Add(l)) found.Add(l);
                break;
            case string:
                break;
            case System.Collections.IEnumerable items:
                foreach (var item in items) if (item is Layer li && seen.Add(li)) found.Add(li);
                break;
        }
    }

    /// <summary>This layer and every layer under it, depth first.</summary>
    private IEnumerable<Layer> Flatten()
    {
        var seen = new HashSet<Layer>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<Layer>();
        stack.Push(this);
        while (stack.Count > 0)
        {
            var l = stack.Pop();
            if (!seen.Add(l)) continue;
            yield return l;
            var subs = l.Layers;
            for (int i = subs.Count - 1; i >= 0; i--) stack.Push(subs[i]);
        }
    }

    /// <summary>Every weight of this layer and its sublayers (Keras' <c>weights</c>/<c>variables</c>), trainable first
    /// within each layer, in creation order.</summary>
    public IReadOnlyList<Variable> Variables => TrainableVariables.Concat(NonTrainableVariables).ToList();

    /// <summary>The weights an optimizer should update (Keras' <c>trainable_variables</c>): trainable weights of trainable
    /// layers.</summary>
    public IReadOnlyList<Variable> TrainableVariables => Collect(trainable: true);

    /// <summary>The other weights (Keras' <c>non_trainable_variables</c>): moving statistics, and every weight of a frozen
    /// layer.</summary>
    public IReadOnlyList<Variable> NonTrainableVariables => Collect(trainable: false);

    private List<Variable> Collect(bool trainable)
    {
        var result = new List<Variable>();
        var seen = new HashSet<Variable>(ReferenceEqualityComparer.Instance);
        Walk(this, frozen: false);
        return result;

        void Walk(Layer l, bool frozen)
        {
            bool off = frozen || !l.Trainable;
            foreach (var v in l.weights)
                if ((v.Trainable && !off) == trainable && seen.Add(v)) result.Add(v);
            foreach (var sub in l.Layers) Walk(sub, off);
        }
    }

    /// <summary>The number of scalars in <see cref="Variables"/>.</summary>
    public long CountParams() => Variables.Sum(v => v.Shape.Aggregate(1L, (a, b) => a * b));

    /// <summary>Calls the layer with tensors in place of its variables (Keras 3's <c>stateless_call</c>), for
    /// differentiating through an inner update (MAML: <c>w - lr * g</c> as the weights of one call, under an outer tape).
    /// No variable is read or changed: the tensors given are used for <see cref="TrainableVariables"/> and
    /// <see cref="NonTrainableVariables"/> (in their order), and assignments a layer makes during the call (moving
    /// statistics) are returned as the new non-trainable values instead of being applied.</summary>
    /// <param name="trainableVariables">One tensor per trainable variable, same shapes and dtypes.</param>
    /// <param name="nonTrainableVariables">One tensor per non-trainable variable, or null to use their current values.</param>
    /// <param name="x">The input.</param>
    /// <param name="training">Training or inference mode.</param>
    /// <returns>The output, and the non-trainable values after the call.</returns>
    /// <exception cref="InvalidOperationException">The layer is not built (call it once, or build it, first).</exception>
    /// <exception cref="ArgumentException">A count, shape or dtype differs from the variables'.</exception>
    public (Tensor Output, IReadOnlyList<Tensor> NonTrainableVariables) StatelessCall(
        IReadOnlyList<Tensor> trainableVariables, IReadOnlyList<Tensor>? nonTrainableVariables, Tensor x, bool training = false)
    {
        ArgumentNullException.ThrowIfNull(trainableVariables);
        ArgumentNullException.ThrowIfNull(x);
        if (!built) throw new InvalidOperationException($"{Name}.StatelessCall: the layer is not built; call it once (or build it) so that its variables exist.");
        var tv = TrainableVariables;
        var ntv = NonTrainableVariables;
        var map = new Dictionary<Variable, Tensor>(ReferenceEqualityComparer.Instance);
        Bind(tv, trainableVariables, "trainableVariables");
        if (nonTrainableVariables != null) Bind(ntv, nonTrainableVariables, "nonTrainableVariables");
        else foreach (var v in ntv) map[v] = v.Handle;
        var outer = Variable.Substitutions;
        if (outer != null) foreach (var kv in outer) map.TryAdd(kv.Key, kv.Value);
        Variable.Substitutions = map;
        try
        {
            var y = Apply(x, training);
            return (y, ntv.Select(v => map[v]).ToList());
        }
        finally { Variable.Substitutions = outer; }

        void Bind(IReadOnlyList<Variable> vars, IReadOnlyList<Tensor> values, string what)
        {
            if (vars.Count != values.Count)
                throw new ArgumentException($"{Name}.StatelessCall: {what} has {values.Count} tensors but the layer has {vars.Count} such variables; expected one per variable, in order.", what);
            for (int i = 0; i < vars.Count; i++)
            {
                var t = values[i] ?? throw new ArgumentException($"{Name}.StatelessCall: {what}[{i}] is null.", what);
                if (t.DType != vars[i].DType || !t.Shape.SequenceEqual(vars[i].Shape))
                    throw new ArgumentException($"{Name}.StatelessCall: {what}[{i}] has dtype {t.DType} and shape {Shapes.Format(t.Shape)} but variable '{vars[i].Name}' has dtype {vars[i].DType} and shape {Shapes.Format(vars[i].Shape)}; expected the same.", what);
                map[vars[i]] = t;
            }
        }
    }

    /// <summary>Assigns a layer's own variable, or, inside <see cref="StatelessCall"/>, records the new value for the caller
    /// instead (how moving statistics are updated).</summary>
    protected static void AssignVariable(Variable variable, Tensor value)
    {
        var subs = Variable.Substitutions;
        if (subs != null && subs.ContainsKey(variable)) subs[variable] = value;
        else variable.Assign(value);
    }

    /// <summary>Writes every weight of the layer (<see cref="Variables"/>) to a safetensors file under its name
    /// ("layer_name/weight_name"), with the layer's name and class in the metadata (Keras' <c>save_weights</c>, in the
    /// safetensors format rather than HDF5).</summary>
    /// <exception cref="InvalidOperationException">The layer is not built, or two weights share a name (give the layers
    /// distinct names).</exception>
    public void SaveWeights(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var vars = Variables;
        if (!built && vars.Count == 0) throw new InvalidOperationException($"{Name}.SaveWeights: the layer is not built; call it once (or Build it) so that its weights exist.");
        var byName = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var v in vars)
            if (!byName.TryAdd(v.Name, v.Handle))
                throw new InvalidOperationException($"{Name}.SaveWeights: two weights are named '{v.Name}'; give their layers distinct names.");
        Saving.SafeTensors.Save(path, byName, new Dictionary<string, string> { ["format"] = "nabla.keras", ["name"] = Name, ["class"] = GetType().Name });
    }

    /// <summary>Reads weights saved by <see cref="SaveWeights"/> (or any safetensors file whose tensor names are the weights'
    /// names) into the layer's variables (Keras' <c>load_weights</c>). Every weight must be in the file with its shape;
    /// float tensors are cast to the weight's dtype (F16/BF16 files load into Float32 or Float64 weights). Everything is
    /// checked before any variable changes.</summary>
    /// <exception cref="InvalidOperationException">The layer is not built.</exception>
    /// <exception cref="InvalidDataException">The file is not valid safetensors, lacks weights, or has a shape or dtype that
    /// does not fit (the message lists them).</exception>
    public void LoadWeights(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var vars = Variables;
        if (!built && vars.Count == 0) throw new InvalidOperationException($"{Name}.LoadWeights: the layer is not built; call it once (or Build it) so that its weights exist.");
        var file = Saving.SafeTensors.Load(path);
        var problems = new List<string>();
        var values = new List<(Variable, Tensor)>();
        foreach (var v in vars)
        {
            if (!file.TryGetValue(v.Name, out var t)) { problems.Add($"'{v.Name}' is missing"); continue; }
            if (!t.Shape.SequenceEqual(v.Shape)) { problems.Add($"'{v.Name}' has shape {Shapes.Format(t.Shape)} in the file but {Shapes.Format(v.Shape)} in the layer"); continue; }
            if (t.DType != v.DType && !(t.DType.IsFloat() && v.DType.IsFloat())) { problems.Add($"'{v.Name}' has dtype {t.DType} in the file but {v.DType} in the layer"); continue; }
            values.Add((v, t.DType == v.DType ? t : TF.Cast(t, v.DType)));
        }
        if (problems.Count > 0)
            throw new InvalidDataException($"{Name}.LoadWeights: {path}: {string.Join("; ", problems)}.");
        foreach (var (v, t) in values) v.Assign(t);
    }

    /// <summary>"Name (TypeName)".</summary>
    public override string ToString() => $"{Name} ({GetType().Name})";
}
