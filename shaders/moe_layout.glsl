// The MoE plan (u32 words), written by moe_plan.comp for one layer's batch:
//   count[E] | start[E] | active[E] (experts with tokens, ascending) |
//   chunk_active[MAX_CHUNKS + 1] (first active index of each weight chunk) |
//   total (entries) | pad | indirect[2][MAX_CHUNKS] dispatches (gate/up, down) |
//   entry_token[T E] | entry_weight[T E] | slot_entry[T E] (~0: no entry)
// An entry is one (token, selected expert) pair that computes; entries are
// grouped by expert. Mirrored in engine/vulkan/vk_push.h (mt_plan_*).
const uint MAX_CHUNKS = 16u;
uint plan_count(uint E) { return 0u; }
uint plan_start(uint E) { return E; }
uint plan_active(uint E) { return 2u * E; }
uint plan_chunk_active(uint E) { return 3u * E; }
uint plan_total(uint E) { return 3u * E + MAX_CHUNKS + 1u; }
uint plan_indirect(uint E) { return (3u * E + MAX_CHUNKS + 2u + 3u) & ~3u; }
uint plan_entry_token(uint E) { return plan_indirect(E) + 2u * MAX_CHUNKS * 3u; }
uint plan_entry_weight(uint E, uint T) { return plan_entry_token(E) + T * E; }
uint plan_slot_entry(uint E, uint T) { return plan_entry_weight(E, T) + T * E; }
