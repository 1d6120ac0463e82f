import { h, replace } from "../ui.js";

export default {
  id: "live",
  title: "Live",
  render(container) {
    replace(container, h("h1", {}, "Live"));
  },
};
