#include "model/generate/chain_step_generator.hpp"

#include "model/generate/block_job_generator.hpp"

namespace chaincheck::model {

void maybe_add_chain_step(Chooser& c, const std::vector<GeneratedLayer>& layers, Scenario& s) {
  if (layers.empty() || !c.chance(15)) return;
  // One in four of these is a block job instead (drawn only here, so older seeds that drew
  // no chain operation stay as they were).
  if (layers.size() >= 2 && c.chance(25) && add_job_step(c, layers, s)) return;
  add_chain_step(c, layers, s);
}

void add_chain_step(Chooser& c, const std::vector<GeneratedLayer>& layers, Scenario& s) {
  if (layers.empty()) return;
  const GeneratedLayer& top = layers.back();
  const std::size_t n = layers.size();
  // 0 convert, 1 commit, 2 rebase; commit and rebase need an overlay.
  std::size_t kind = c.weighted({2, n >= 2 ? 2u : 0u, n >= 2 ? 2u : 0u});
  if (kind == 1) {
    // Into the backing or (-b) deeper; a qcow2 base shorter than the top would be grown
    // (not modelled), so such bases are not chosen.
    std::vector<std::size_t> bases;
    for (std::size_t i = 0; i + 1 < n; ++i)
      if (layers[i].format == ImageFormat::Raw || layers[i].size >= top.size) bases.push_back(i);
    if (bases.empty()) return;
    std::size_t b = bases[c.range(0, bases.size() - 1)];
    CommitOptions o;
    o.top = top.name;
    if (b + 2 != n || c.chance(30)) o.base = layers[b].name;
    o.drop = c.chance(20);
    s.steps.push_back(CommitStep{o});
    return;
  }
  if (kind == 2) {
    RebaseOptions o;
    o.image = top.name;
    o.unsafe = c.chance(30);
    // Onto nothing or onto any layer below the current backing.
    std::size_t j = c.range(0, n - 2);
    if (j + 2 < n) {
      o.backing = layers[j].name;
      o.backing_format = layers[j].format;
    }
    s.steps.push_back(RebaseStep{o});
    return;
  }
  ConvertOptions o;
  o.source = top.name;
  o.target_format = c.chance(30) ? ImageFormat::Raw : ImageFormat::Qcow2;
  o.target = o.target_format == ImageFormat::Raw ? "out.raw" : "out.qcow2";
  static const unsigned bits[] = {16, 12, 9, 20};
  o.cluster_bits = bits[c.range(0, 3)];
  switch (c.weighted({3, o.target_format == ImageFormat::Qcow2 && n >= 2 ? 2u : 0u, 1, 1})) {
    case 1:  // -B: the top's own backing
      o.backing = layers[n - 2].name;
      o.backing_format = layers[n - 2].format;
      break;
    case 2:
    case 3: {  // -n into an existing, fully written target; case 3 with --target-is-zero
      o.existing = true;
      o.target_is_zero = c.chance(50);
      CreateOptions t;
      t.name = o.target;
      t.format = o.target_format;
      t.size = top.size;
      t.cluster_bits = o.cluster_bits;
      s.steps.push_back(CreateStep{t});
      // A target that is not zero shows what --target-is-zero skips.
      if (!o.target_is_zero || c.chance(50))
        s.steps.push_back(IoStep{GraphSpec::of_image(o.target), {OpKind::Write, 0, top.size, 0x5a, false}});
      break;
    }
    default: break;
  }
  s.steps.push_back(ConvertStep{o});
  // Look at the target instead of the source when the export is the plain top.
  if (s.export_spec && s.export_spec->graph == GraphSpec::of_image(top.name) && c.chance(70))
    s.export_spec->graph = GraphSpec::of_image(o.target);
}

}  // namespace chaincheck::model
