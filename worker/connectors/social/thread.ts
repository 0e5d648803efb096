// Thread splitting lives in core/ (the client splits as the user types, with the same code).
export { type Measure, splitForThread } from "../../../core/thread";
