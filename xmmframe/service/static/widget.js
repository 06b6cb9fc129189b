// The Jupyter widget (anywidget) around the viewer: xmmframe.interactive.Viewer sends this module
// after viewer.js (which sets globalThis.XmmViewer); the model's traits carry the payloads in and
// the viewer's state out.
const STATE_TRAITS = ["regions_text", "source", "background", "gti_intervals", "exposure"];

function render({ model, el }) {
  let applying = false;
  const viewer = globalThis.XmmViewer.mount(el, {
    image: model.get("image"),
    lightcurve: model.get("lightcurve"),
    regions: model.get("regions_text") || "",
    gti: model.get("gti_given") ? model.get("gti_intervals") : null,
    onChange(state) {
      applying = true;
      try {
        model.set("regions_text", state.regions);
        model.set("source", state.source || "");
        model.set("background", state.background || "");
        model.set("gti_intervals", state.gti);
        model.set("exposure", state.exposure);
        model.save_changes();
      } finally {
        applying = false;
      }
    },
  });
  const onRegions = () => { if (!applying) viewer.setRegions(model.get("regions_text") || ""); };
  const onGti = () => { if (!applying) viewer.setGti(model.get("gti_intervals")); };
  model.on("change:regions_text", onRegions);
  model.on("change:gti_intervals", onGti);
  return () => {
    model.off("change:regions_text", onRegions);
    model.off("change:gti_intervals", onGti);
  };
}

export default { render, STATE_TRAITS };
