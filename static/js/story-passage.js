// Picking out a passage of a patient's story by selecting its words on the page: the selection fills
// the form's hidden "quote" field and is shown back, ready to send. Without this script the form
// still works: the clinician chooses a sentence from the list instead. Nothing is ever retyped.
(function () {
  "use strict";
  var story = document.getElementById("story-text");
  var form = document.getElementById("passage-form");
  if (!story || !form) {
    return;
  }
  var quote = form.querySelector("input[name=quote]");
  var sentence = form.querySelector("select[name=sentence]");
  var shown = document.getElementById("passage-selected");
  var shownText = document.getElementById("passage-selected-text");

  function inside(node) {
    return node !== null && story.contains(node.nodeType === 1 ? node : node.parentNode);
  }

  document.addEventListener("selectionchange", function () {
    var selection = window.getSelection();
    if (!selection || selection.isCollapsed || !inside(selection.anchorNode) || !inside(selection.focusNode)) {
      return; // keep the last selection made in the story, so clicking the button doesn't lose it
    }
    var text = selection.toString().trim();
    if (!text) {
      return;
    }
    quote.value = text;
    shownText.textContent = text;
    shown.hidden = false;
    if (sentence) {
      sentence.value = "";
    }
  });

  if (sentence) {
    sentence.addEventListener("change", function () {
      if (sentence.value !== "") {
        quote.value = "";
        shownText.textContent = "";
        shown.hidden = true;
      }
    });
  }
})();
